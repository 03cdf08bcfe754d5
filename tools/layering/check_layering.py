#!/usr/bin/env python3
"""Checks the include graph of include/kopp against the layering in docs/architecture.md:
each part of the tree includes only the parts it may depend on, and no header is part of
an include cycle. Prints every violation (file, line, include) and exits non-zero on any.

    tools/layering/check_layering.py [include-dir]
"""
import os
import re
import sys

# Each part and the parts it may include (besides itself). Longest prefix wins.
ALLOWED = {
    'kopp/core': {'kopp/core', 'kopp/version.hpp'},
    'kopp/api': {'kopp/api', 'kopp/core'},
    'kopp/client': {'kopp/client', 'kopp/core', 'kopp/version.hpp'},
    # Private helpers of the runtime's parts (an awaitable latch), on core only.
    'kopp/runtime/detail': {'kopp/runtime/detail', 'kopp/core'},
    'kopp/runtime/telemetry': {'kopp/runtime/telemetry', 'kopp/client', 'kopp/core', 'kopp/version.hpp'},
    'kopp/runtime/cache': {'kopp/runtime/cache', 'kopp/runtime/detail', 'kopp/runtime/telemetry', 'kopp/client', 'kopp/core', 'kopp/api'},
    'kopp/runtime/workqueue': {'kopp/runtime/workqueue', 'kopp/runtime/detail', 'kopp/runtime/telemetry', 'kopp/client', 'kopp/core'},
    'kopp/runtime/controller': {'kopp/runtime/controller', 'kopp/runtime/detail', 'kopp/runtime/cache', 'kopp/runtime/workqueue',
                                'kopp/runtime/telemetry', 'kopp/client', 'kopp/core', 'kopp/api'},
    # HTTPS serving (certificates, the server) and admission webhooks.
    'kopp/runtime/webhook': {'kopp/runtime/webhook', 'kopp/runtime/detail', 'kopp/runtime/telemetry', 'kopp/client', 'kopp/core'},
    'kopp/runtime/manager': {'kopp/runtime/manager', 'kopp/runtime/detail', 'kopp/runtime/controller', 'kopp/runtime/cache',
                             'kopp/runtime/webhook',
                             'kopp/runtime/workqueue', 'kopp/runtime/telemetry', 'kopp/client', 'kopp/core',
                             'kopp/api', 'kopp/version.hpp'},
    # The test kit for users' tests: may use everything above.
    'kopp/testing': {'kopp/testing', 'kopp/runtime', 'kopp/client', 'kopp/core', 'kopp/api', 'kopp/version.hpp'},
}
# Umbrella headers gather parts; nothing else may sit at these levels.
UMBRELLAS = {'kopp/kopp.hpp', 'kopp/core.hpp', 'kopp/client.hpp', 'kopp/runtime.hpp', 'kopp/version.hpp', 'kopp/src.hpp'}
INCLUDE = re.compile(r'^\s*#\s*include\s*<(kopp/[^>]+)>')


def part_of(path):
    best = None
    for part in ALLOWED:
        if path == part or path.startswith(part + '/'):
            if best is None or len(part) > len(best):
                best = part
    return best


def allowed(target, parts):
    return any(target == p or target.startswith(p + '/') for p in parts)


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '../../include'))
    graph = {}
    problems = []
    for directory, _, names in os.walk(os.path.join(root, 'kopp')):
        for name in names:
            if not name.endswith(('.hpp', '.ipp')):
                continue
            path = os.path.relpath(os.path.join(directory, name), root)
            graph[path] = []
            with open(os.path.join(root, path), encoding='utf-8') as f:
                for number, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if m:
                        graph[path].append((m.group(1), number))
    # impl/<name>.hpp (templates) and impl/<name>.ipp (the rest, compiled once in the compiled
    # mode) hold the definitions of <name>.hpp, which includes them at its end; an impl file
    # including its interface back is that pair, not a cycle.
    for path in graph:
        head, name = os.path.split(path)
        if os.path.basename(head) == 'impl':
            interface = os.path.join(os.path.dirname(head), os.path.splitext(name)[0] + '.hpp')
            graph[path] = [(t, n) for t, n in graph[path] if t != interface]
    # `#if KOPP_HEADER_ONLY` before core/detail/config.hpp is included would be `#if 0`: the
    # header would silently leave out its definitions.
    for path in sorted(graph):
        if not path.endswith('.hpp') or path == 'kopp/core/detail/config.hpp':
            continue
        with open(os.path.join(root, path), encoding='utf-8') as f:
            text = f.read()
        use = min((i for i in (text.find('KOPP_HEADER_ONLY'), text.find('KOPP_DECL')) if i >= 0), default=-1)
        config = text.find('#include <kopp/core/detail/config.hpp>')
        if use >= 0 and (config < 0 or config > use):
            problems.append(f'{path}: uses KOPP_HEADER_ONLY/KOPP_DECL before including <kopp/core/detail/config.hpp>')
    # The compiled mode compiles what kopp/src.hpp includes: every .ipp must be there. The
    # test kit (kopp/testing) is the exception: it is never part of the compiled library (a
    # program links it only into its tests), so its definitions are always inline and it
    # must not depend on the mode.
    compiled = {t for t, _ in graph.get('kopp/src.hpp', [])}
    for path in sorted(graph):
        if path.startswith('kopp/testing/'):
            with open(os.path.join(root, path), encoding='utf-8') as f:
                text = f.read()
            if 'KOPP_HEADER_ONLY' in text or 'KOPP_DECL' in text:
                problems.append(f'{path}: the test kit is always inline; it must not use KOPP_HEADER_ONLY/KOPP_DECL')
            if path in compiled:
                problems.append(f'{path}: the test kit must not be part of the compiled library (kopp/src.hpp)')
            continue
        if path.endswith('.ipp') and path not in compiled:
            problems.append(f'{path}: not included by kopp/src.hpp, so the compiled mode would not define it')
    for path, includes in sorted(graph.items()):
        part = part_of(path)
        if part is None:
            if path not in UMBRELLAS:
                problems.append(f'{path}: not in any part of the layering (see tools/layering/check_layering.py)')
            continue
        for target, number in includes:
            if target not in graph:
                problems.append(f'{path}:{number}: includes <{target}>, which does not exist')
            elif not allowed(target, ALLOWED[part]):
                problems.append(f'{path}:{number}: {part} must not include <{target}> (an upward or sideways arrow)')
    # Cycles: depth-first search over the file graph.
    state = {}
    stack = []

    def visit(node):
        state[node] = 'open'
        stack.append(node)
        for target, _ in graph.get(node, []):
            if target not in graph:
                continue
            if state.get(target) == 'open':
                cycle = stack[stack.index(target):] + [target]
                problems.append('include cycle: ' + ' -> '.join(cycle))
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = 'done'

    sys.setrecursionlimit(10000)
    for node in sorted(graph):
        if node not in state:
            visit(node)
    for p in problems:
        print(p)
    print(f'layering: {len(graph)} headers, {sum(len(v) for v in graph.values())} includes, {len(problems)} problems')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
