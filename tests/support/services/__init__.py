"""Stand-ins for the chat services: each checks a request as the real service does,
written from its documentation, and answers what it would (``RecordingSink.validate``)."""
