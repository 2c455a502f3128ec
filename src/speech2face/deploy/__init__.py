"""Past one machine: a throwaway or lasting PostgreSQL cluster and the team's MLflow server."""
