"""The shared look: the `icon` template tag (Lucide icons) and templates/components/."""
