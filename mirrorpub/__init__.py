"""mirrorpub: publish a plain static news site to many mirrors at once."""

__version__ = "0.1.0"
