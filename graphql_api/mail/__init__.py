"""Email: rendering the outbox's templates with the organization's branding, and delivering them.

- `templates` turns a template name and its context into subject, text and HTML;
- `layout` draws that content in the organization's colours, logo, headline and footer;
- `attachments` is where documents (the shipping label PDF) plug in;
- `message` assembles the MIME message, `transport` hands it to SMTP or to `.eml` files;
- `sender` is the outbox sender that every replica runs.
"""
