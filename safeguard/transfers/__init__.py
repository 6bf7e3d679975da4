"""The electronic transfer of a child's safeguarding file to the next school: signed, encrypted packages, their
delivery (Safeguard to Safeguard, a one-time link, or paper), receipts, and the import of a file received."""
