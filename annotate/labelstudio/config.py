"""The Label Studio labeling config, derived from the schema: the only XML eventgold writes."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from eventgold.schema import Schema

# Label Studio control names; `annotate.labelstudio.convert` reads results by these names.
LS_TEXT_NAME = "text"
LS_LABELS_NAME = "label"


def to_label_config(schema: Schema) -> str:
    """The Label Studio labeling config: title header, text, span labels and relations.

    Every value is XML-escaped; `granularity="symbol"` lets annotators select exact characters
    so spans can be trimmed as the guidelines ask. `choice="single"` on the relations: without
    it Label Studio 1.23 lets one relation take several labels (a browser check ticked KILLED
    and CONDEMNS on one), which the schema's one-label relations cannot hold.
    """
    q = quoteattr
    lines = [
        "<View>",
        '  <Header value="$title"/>',
        '  <Relations choice="single">',
    ]
    lines += [f"    <Relation value={q(r.label)}/>" for r in schema.relations]
    lines += [
        "  </Relations>",
        f"  <Labels name={q(LS_LABELS_NAME)} toName={q(LS_TEXT_NAME)}>",
    ]
    for e in schema.entities:
        attrs = f"value={q(e.label)} background={q(e.color)}"
        if e.hotkey:
            attrs += f" hotkey={q(e.hotkey)}"
        if e.description:
            attrs += f" hint={q(e.description)}"
        lines.append(f"    <Label {attrs}/>")
    lines += [
        "  </Labels>",
        f'  <Text name={q(LS_TEXT_NAME)} value="$text" granularity="symbol"/>',
        "</View>",
    ]
    return "\n".join(lines) + "\n"
