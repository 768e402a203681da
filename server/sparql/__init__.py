"""The SPARQL 1.1 Protocol (:mod:`.protocol`), Update and the Graph Store Protocol
(:mod:`.update`), the service description and content negotiation."""
