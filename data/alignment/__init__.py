"""Statistics alignment weighs by, learnt from the reference corpus (plankg.build.align.statistics)."""
