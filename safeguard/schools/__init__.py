"""Schools: the unit every record belongs to, and the key the data is partitioned by."""
