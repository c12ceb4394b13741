import { describe, expect, it } from 'vitest';
import { checkXmlWellFormed, parseXml, stringifyXml } from './xml.js';

describe('parseXml: well-formedness', () => {
  it('reads elements, attributes, entities, CDATA and comments', () => {
    const root = parseXml(`<?xml version="1.0" encoding="UTF-8"?>
<!-- leading comment -->
<bom xmlns="urn:x" version='1'>
  <name>a &amp; b &lt;c&gt; &#x41;&#66;</name>
  <empty/>
  <raw><![CDATA[<not> & parsed]]></raw>
</bom>
`);
    expect(root.name).toBe('bom');
    expect({ ...root.attributes }).toEqual({ xmlns: 'urn:x', version: '1' });
    expect(root.children.map((c) => [c.name, c.text])).toEqual([
      ['name', 'a & b <c> AB'],
      ['empty', ''],
      ['raw', '<not> & parsed'],
    ]);
  });

  it.each([
    ['mismatched tags', '<a><b></a></b>', 'line 1: </a> does not match <b>'],
    ['an unclosed element', '<a>\n<b>\n</b>', 'line 3: <a> is never closed'],
    ['an unquoted attribute', '<a x=1/>', 'line 1: value of x must be quoted'],
    ['a duplicate attribute', '<a x="1" x="2"/>', 'line 1: attribute x appears twice in <a>'],
    ['an unknown entity', '<a>&nbsp;</a>', 'line 1: unknown entity &nbsp;'],
    ['a bare ampersand', '<a>fish & chips</a>', 'line 1: "&" must start an entity reference such as &amp;'],
    ['two roots', '<a/><b/>', 'line 1: content after the root element'],
    ['text after the root', '<a/>\ntext', 'line 2: content after the root element'],
    ['a control character', '<a>\u0007</a>', 'line 1: character U+0007 is not allowed in XML'],
    ['a DOCTYPE', '<!DOCTYPE a [<!ENTITY x "y">]><a/>', 'line 1: DOCTYPE is not accepted'],
    ['"<" in an attribute', '<a x="<"/>', 'line 1: "<" in the value of x'],
    ['nothing', '  ', 'line 1: expected the root element'],
  ])('refuses %s', (_, xml, message) => {
    expect(checkXmlWellFormed(xml)).toBe(message);
  });

  it('checks deep nesting without exhausting the stack', () => {
    const depth = 100_000;
    expect(checkXmlWellFormed(`${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}`)).toBeNull();
  });
});

describe('stringifyXml', () => {
  it('escapes text and attributes and round-trips through the parser', () => {
    const xml = stringifyXml({
      type: 'element',
      name: 'bom',
      namespace: 'http://cyclonedx.org/schema/bom/1.6',
      attributes: { serialNumber: 'a"b<c>&\td', skipped: undefined },
      children: [
        { type: 'element', name: 'description', children: 'x < y && "z"\r\n\u0000end' },
        { type: 'comment', text: 'a -- b -' },
        { type: 'element', name: 'version', children: 3 },
        { type: 'element', name: 'none' },
        { type: 'element', name: 'list', children: [] },
      ],
    });
    expect(xml).toBe(`<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" serialNumber="a&quot;b&lt;c&gt;&amp;&#9;d">
  <description>x &lt; y &amp;&amp; "z"&#13;
\uFFFDend</description>
  <!--a - - b - -->
  <version>3</version>
  <none/>
  <list/>
</bom>
`);
    const root = parseXml(xml);
    expect(root.attributes.serialNumber).toBe('a"b<c>&\td');
    expect(root.children[0]!.text).toBe('x < y && "z"\r\n\uFFFDend');
  });

  it('refuses names that would make the document malformed', () => {
    expect(() => stringifyXml({ type: 'element', name: 'a b' })).toThrow('not an XML element name: a b');
    expect(() => stringifyXml({ type: 'element', name: 'a', attributes: { 'x="1"': 1 } })).toThrow('not an XML attribute name');
  });
});
