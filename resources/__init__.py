"""Icons, samples and licence texts, installed inside the package."""
