"""The conductor: builds and moves, and every database write an agent needs."""
