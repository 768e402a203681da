"""plankg: a knowledge graph of Taiwanese government annual administrative plans."""

__version__ = "0.1.0"
