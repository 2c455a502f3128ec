"""The avatar: a face drawn from a voice, by the three trained networks, for any caller (the
CLI's `predict`, the MLflow pyfunc model, the web service)."""
