# Test guests (tests/guests/), built freestanding. Output: build/guests/.
GUEST_DIR := build/guests
guests:
