"""Working days in mainland China, from versioned data (``workdays.yaml``)."""
