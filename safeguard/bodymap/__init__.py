"""The body map: where on a child's body a mark was seen, drawn on outlines and described, never photographed."""
