"""Safe uploads: files checked by their content and size, stored out of the web root, served only as attachments.

A plain package, not an app: it has no models. The app that owns an attachment keeps the stored name, the checked
content type and the safe filename on its own model, and serves the file through its own permission-checked view.
"""
