"""npm: package arguments and dependency specs (``spec``), node-semver (``semver``), purls
(``purl``)."""
