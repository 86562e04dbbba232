"""The biometric core: arrays in, arrays and plain data out. No Qt, no devices, no network."""
