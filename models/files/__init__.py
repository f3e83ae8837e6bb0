"""Files without a screen: user folders, text-file decoding, atomic writes."""
