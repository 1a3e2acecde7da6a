"""What the desk does, as typed functions any interface (chat, command line, web) calls."""
