"""Local helper module shipped inside the report function's own asset."""


def to_csv_row(values) -> str:
    return ",".join(str(v) for v in values)
