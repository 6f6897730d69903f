"""Artifact contents read as data: archives (never extracted), manifests inside them."""
