"""The versioned JSON API at ``/api/v1`` for the systems around a school (its MIS, its monitoring software)."""
