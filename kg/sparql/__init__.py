"""SPARQL request text before pyoxigraph sees it: one tokenizer (:mod:`.lexer`), the nesting
limits (:mod:`.limits`), the SERVICE/LOAD guard (:mod:`.guard`) and the federation allowlist
(:mod:`.allowlist`)."""
