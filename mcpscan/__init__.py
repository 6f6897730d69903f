"""mcpscan: scan MCP connectors for supply-chain risk before they are installed."""

__version__ = "0.1.0"
