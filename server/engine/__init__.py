"""Running SPARQL on the store within time and memory limits, per server process."""
