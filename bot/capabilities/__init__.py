"""The desk's operations, one module per capability, shared by chat, command line and web."""
