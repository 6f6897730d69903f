"""The network layer: the pooled HTTP client and the on-disk cache it reads through."""
