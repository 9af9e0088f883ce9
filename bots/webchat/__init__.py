"""Web chat: the HTTP/WebSocket API the embeddable widget talks to, and its adapter."""
