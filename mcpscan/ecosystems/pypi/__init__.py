"""PyPI: requirement arguments (``spec``) and purls (``purl``)."""
