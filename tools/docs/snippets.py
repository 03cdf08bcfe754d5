#!/usr/bin/env python3
"""Keeps the C++ in kopp's Markdown equal to code that compiles.

Every ```cpp block in README.md, docs/*.md and examples/*/README.md is preceded by one of:

    <!-- snippet: tests/docs/runtime.cpp#mirror -->   the block is the region `mirror` of that
                                                      file, which the build compiles
    <!-- not compiled: REASON -->                     a signature list or a sketch with
                                                      placeholders; REASON says which

A region is the lines between `// [doc:NAME]` (a note may follow on that line) and
`// [/doc]`, with their common indentation removed. Every region must be shown by some document.

    tools/docs/snippets.py --check [root]   prints each difference (file, line, diff); exit 1
    tools/docs/snippets.py --write [root]   rewrites the blocks from their regions
"""
import difflib
import os
import re
import sys

MARKER = re.compile(r'^<!--\s*(snippet:\s*(?P<path>[^#\s]+)#(?P<name>[\w-]+)|not compiled:\s*(?P<reason>\S.*?))\s*-->\s*$')
REGION_BEGIN = re.compile(r'^\s*//\s*\[doc:(?P<name>[\w-]+)\]')
REGION_END = re.compile(r'^\s*//\s*\[/doc\]\s*$')


def documents(root):
    out = [os.path.join(root, 'README.md')]
    docs = os.path.join(root, 'docs')
    for directory, _, names in os.walk(docs):
        out += [os.path.join(directory, n) for n in sorted(names) if n.endswith('.md')]
    examples = os.path.join(root, 'examples')
    for name in sorted(os.listdir(examples)):
        readme = os.path.join(examples, name, 'README.md')
        if os.path.exists(readme):
            out.append(readme)
    return out


def regions_of(path, problems):
    """name -> (lines, first line number) of every region in `path`."""
    regions = {}
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    current = None
    for number, line in enumerate(lines, 1):
        begin = REGION_BEGIN.match(line)
        if begin:
            if current:
                problems.append(f'{path}:{number}: region "{begin.group("name")}" starts inside "{current[0]}"')
            current = (begin.group('name'), number, [])
            continue
        if REGION_END.match(line):
            if not current:
                problems.append(f'{path}:{number}: "// [/doc]" without a region')
                continue
            name, start, body = current
            if name in regions:
                problems.append(f'{path}:{start}: region "{name}" defined twice')
            regions[name] = (dedent(body), start)
            current = None
            continue
        if current:
            current[2].append(line)
    if current:
        problems.append(f'{path}:{current[1]}: region "{current[0]}" has no "// [/doc]"')
    return regions


def dedent(lines):
    indents = [len(l) - len(l.lstrip(' ')) for l in lines if l.strip()]
    cut = min(indents, default=0)
    return [l[cut:].rstrip() for l in lines]


def blocks_of(text):
    """(marker line index or None, first code line index, end fence index) of each ```cpp block."""
    lines = text.split('\n')
    out = []
    i = 0
    while i < len(lines):
        if lines[i].strip() == '```cpp':
            j = i + 1
            while j < len(lines) and lines[j].strip() != '```':
                j += 1
            k = i - 1
            while k >= 0 and not lines[k].strip():
                k -= 1
            marker = k if k >= 0 and MARKER.match(lines[k].strip()) else None
            out.append((marker, i + 1, j))
            i = j + 1
        else:
            i += 1
    return lines, out


def main():
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    write = '--write' in sys.argv
    root = os.path.abspath(args[0] if args else os.path.join(os.path.dirname(__file__), '../..'))
    problems = []
    sources = {}
    used = set()
    shown = 0
    for doc in documents(root):
        rel_doc = os.path.relpath(doc, root)
        with open(doc, encoding='utf-8') as f:
            text = f.read()
        lines, blocks = blocks_of(text)
        changed = False
        for marker, first, end in reversed(blocks):
            if marker is None:
                problems.append(f'{rel_doc}:{first}: a ```cpp block without "<!-- snippet: FILE#REGION -->" '
                                f'or "<!-- not compiled: REASON -->" before it')
                continue
            m = MARKER.match(lines[marker].strip())
            if m.group('reason'):
                continue
            path, name = m.group('path'), m.group('name')
            if path not in sources:
                full = os.path.join(root, path)
                if not os.path.exists(full):
                    problems.append(f'{rel_doc}:{marker + 1}: snippet file {path} does not exist')
                    continue
                sources[path] = regions_of(full, problems)
            if name not in sources[path]:
                problems.append(f'{rel_doc}:{marker + 1}: {path} has no region "{name}" '
                                f'(between "// [doc:{name}]" and "// [/doc]")')
                continue
            used.add((path, name))
            shown += 1
            want, start = sources[path][name]
            have = [l.rstrip() for l in lines[first:end]]
            if have == want:
                continue
            if write:
                lines[first:end] = want
                changed = True
                continue
            diff = '\n'.join(difflib.unified_diff(have, want, f'{rel_doc}:{first + 1}', f'{path}:{start + 1}',
                                                  lineterm='', n=1))
            problems.append(f'{rel_doc}:{first + 1}: differs from {path}#{name} '
                            f'(tools/docs/snippets.py --write copies the region):\n{diff}')
        if changed:
            with open(doc, 'w', encoding='utf-8') as f:
                f.write('\n'.join(lines))
    # Regions nobody shows are code the docs lost.
    snippet_dir = os.path.join(root, 'tests', 'docs')
    for name in sorted(os.listdir(snippet_dir)) if os.path.isdir(snippet_dir) else []:
        if not name.endswith('.cpp'):
            continue
        path = os.path.join('tests', 'docs', name)
        regions = sources.get(path) or regions_of(os.path.join(root, path), problems)
        for region in regions:
            if (path, region) not in used:
                problems.append(f'{path}:{regions[region][1]}: region "{region}" is shown by no document')
    for p in problems:
        print(p)
    print(f'snippets: {shown} compiled blocks checked, {len(problems)} problems')
    return 1 if problems and not write else 0


if __name__ == '__main__':
    sys.exit(main())
