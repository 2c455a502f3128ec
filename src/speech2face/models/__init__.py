"""Plain torch networks: face encoder (teacher), face decoder, voice encoder, and the loss."""
