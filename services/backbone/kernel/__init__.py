"""The pure kernel: who acts, errors that cross the boundary, privacy rules.

Domain code may import this package and nothing else of the backbone."""
