"""Record normalisation shared by ingest and worker."""


def normalise(record: dict) -> dict:
    return {str(k).strip().lower(): v for k, v in (record or {}).items()}
