"""SPARQL request text before pyoxigraph sees it: one tokenizer (:mod:`.lexer`), the nesting
limits (:mod:`.limits`) and the SERVICE/LOAD guard (:mod:`.guard`)."""
