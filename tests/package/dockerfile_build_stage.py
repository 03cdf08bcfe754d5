#!/usr/bin/env python3
"""Runs the build stage of a Dockerfile on this machine, read from the Dockerfile itself:
what an image build's first stage would do, where no container engine exists (these
machines have none; the node and deploy work builds real images).

    dockerfile_build_stage.py --context DIR --root DIR [--build-arg NAME=VALUE ...]
                              [--stage NAME] [--dockerfile FILE]

Each instruction of the stage (default: the first one) is carried out in order:
  FROM     the stage's base: it must be the Debian release this machine runs.
  ARG/ENV  variables for the RUN lines (--build-arg overrides an ARG's default).
  WORKDIR  a directory under --root (WORKDIR /workspace is ROOT/workspace).
  COPY     files from the context (.dockerignore honoured for directories) to the WORKDIR.
  RUN      /bin/sh -c LINE in the WORKDIR, as an image build runs it. A RUN that installs
           Debian packages (apt-get update / apt-get install) is not run (it would change
           this machine's packages): each package it names must be installed here instead.
Any other instruction fails the run, so nothing is skipped silently. Finally each
`COPY --from=<stage> PATH` of a later stage must name a file the stage produced.
"""
import argparse
import fnmatch
import os
import re
import shlex
import shutil
import subprocess
import sys


def fail(message):
    print(f'dockerfile_build_stage: {message}', file=sys.stderr)
    sys.exit(1)


def instructions(path):
    """(line number, INSTRUCTION, arguments) with continuation lines joined."""
    result = []
    pending, start = '', 0
    with open(path, encoding='utf-8') as f:
        for number, raw in enumerate(f, 1):
            line = raw.rstrip('\n')
            if not pending and (not line.strip() or line.lstrip().startswith('#')):
                continue
            if pending and line.lstrip().startswith('#'):
                continue  # a comment inside a continued instruction
            if not pending:
                start = number
            if line.endswith('\\'):
                pending += line[:-1] + ' '
                continue
            text = (pending + line).strip()
            pending = ''
            keyword, _, rest = text.partition(' ')
            result.append((start, keyword.upper(), rest.strip()))
    return result


def stages(items):
    """[(name, [instructions])] split at FROM lines."""
    out = []
    for item in items:
        if item[1] == 'FROM':
            words = item[2].split()
            name = words[2] if len(words) >= 3 and words[1].upper() == 'AS' else str(len(out))
            out.append((name, [item]))
        elif not out:
            if item[1] != 'ARG':
                fail(f'line {item[0]}: {item[1]} before the first FROM')
        else:
            out[-1][1].append(item)
    return out


def expand(text, variables):
    return re.sub(r'\$\{(\w+)\}|\$(\w+)', lambda m: variables.get(m.group(1) or m.group(2), m.group(0)), text)


def ignored_directories(context):
    path = os.path.join(context, '.dockerignore')
    if not os.path.exists(path):
        return []
    patterns = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#'):
                patterns.append(line.rstrip('/'))
    return patterns


def copy_from_context(context, sources, destination, line):
    ignore = ignored_directories(context)

    def skip(directory, names):
        relative = os.path.relpath(directory, context)
        return [n for n in names
                if any(fnmatch.fnmatch(os.path.normpath(os.path.join(relative, n)), p) for p in ignore)]

    os.makedirs(destination, exist_ok=True)
    for source in sources:
        full = os.path.normpath(os.path.join(context, source))
        if not (full == context or full.startswith(context + os.sep)):
            fail(f'line {line}: COPY {source} is outside the build context')
        if not os.path.exists(full):
            fail(f'line {line}: COPY {source}: no such file in the build context {context}')
        if os.path.isdir(full):
            shutil.copytree(full, destination, ignore=skip, dirs_exist_ok=True, symlinks=True)
        else:
            shutil.copy2(full, destination)


def check_packages(command, line):
    """An apt-get RUN: every package it installs is installed on this machine."""
    packages = []
    for part in re.split(r'&&|;', command):
        words = shlex.split(part)
        while words and '=' in words[0]:  # DEBIAN_FRONTEND=noninteractive apt-get ...
            words = words[1:]
        if len(words) >= 2 and words[0] == 'apt-get' and words[1] == 'install':
            packages += [w for w in words[2:] if not w.startswith('-')]
        elif words and words[0] not in ('apt-get', 'rm'):
            fail(f'line {line}: a RUN that installs packages may only run apt-get and rm, not {words[0]}')
    if not packages:
        fail(f'line {line}: apt-get without packages to install')
    missing = []
    for package in packages:
        status = subprocess.run(['dpkg-query', '-W', '-f', '${Status}', package], capture_output=True, text=True)
        if status.returncode != 0 or 'install ok installed' not in status.stdout:
            missing.append(package)
    if missing:
        fail(f'line {line}: packages the image installs are not installed here (scripts/install-deps.sh '
             f'should install them): {" ".join(missing)}')
    print(f'line {line}: apt-get install: {len(packages)} packages, each installed here: {" ".join(packages)}')


def debian_release():
    try:
        with open('/etc/os-release', encoding='utf-8') as f:
            for line in f:
                if line.startswith('VERSION_CODENAME='):
                    return line.split('=', 1)[1].strip().strip('"')
    except OSError:
        pass
    return ''


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--context', required=True)
    parser.add_argument('--root', required=True, help='stands for / of the build stage')
    parser.add_argument('--dockerfile')
    parser.add_argument('--stage')
    parser.add_argument('--build-arg', action='append', default=[])
    args = parser.parse_args()
    context = os.path.abspath(args.context)
    root = os.path.abspath(args.root)
    dockerfile = args.dockerfile or os.path.join(context, 'Dockerfile')
    build_args = dict(a.split('=', 1) for a in args.build_arg)

    all_stages = stages(instructions(dockerfile))
    if not all_stages:
        fail(f'{dockerfile}: no FROM')
    names = [name for name, _ in all_stages]
    if args.stage and args.stage not in names:
        fail(f'{dockerfile}: no stage named {args.stage} (stages: {", ".join(names)})')
    index = names.index(args.stage) if args.stage else 0
    name, items = all_stages[index]

    variables = {'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'HOME': os.environ.get('HOME', '/root')}
    workdir = root
    os.makedirs(root, exist_ok=True)
    for line, keyword, rest in items:
        if keyword == 'FROM':
            image = rest.split()[0]
            release = debian_release()
            if not re.fullmatch(rf'debian:{re.escape(release)}(-slim)?', image) or not release:
                fail(f'line {line}: the stage is FROM {image}, but this machine runs Debian "{release}"')
            print(f'line {line}: FROM {image}: this machine runs Debian {release}')
        elif keyword == 'ARG':
            arg, _, default = rest.partition('=')
            variables[arg] = build_args.get(arg, default)
        elif keyword == 'ENV':
            key, _, value = rest.partition('=')
            variables[key] = expand(value.strip('"'), variables)
        elif keyword == 'WORKDIR':
            path = expand(rest, variables)
            workdir = os.path.join(root, path.lstrip('/')) if path.startswith('/') else os.path.join(workdir, path)
            os.makedirs(workdir, exist_ok=True)
        elif keyword == 'COPY':
            words = shlex.split(rest)
            if any(w.startswith('--') for w in words):
                fail(f'line {line}: COPY {rest}: options are not supported in a build stage')
            *sources, destination = words
            target = os.path.join(root, destination.lstrip('/')) if destination.startswith('/') \
                else os.path.join(workdir, destination)
            copy_from_context(context, sources, target, line)
            print(f'line {line}: COPY {rest}')
        elif keyword == 'RUN':
            if re.match(r'^(\w+=\S+\s+)*apt-get\b', rest):
                check_packages(rest, line)
                continue
            print(f'line {line}: RUN {rest}', flush=True)
            env = dict(os.environ)
            env.update(variables)
            result = subprocess.run(['/bin/sh', '-c', rest], cwd=workdir, env=env)
            if result.returncode != 0:
                fail(f'line {line}: RUN exited with {result.returncode}')
        else:
            fail(f'line {line}: {keyword} is not supported in the build stage')

    # What the later stages take from this one exists.
    copied = 0
    for _, later in all_stages[index + 1:]:
        for line, keyword, rest in later:
            m = re.match(rf'--from={re.escape(name)}\s+(\S+)\s+', rest) if keyword == 'COPY' else None
            if m:
                path = os.path.join(root, m.group(1).lstrip('/'))
                if not os.path.exists(path):
                    fail(f'line {line}: COPY --from={name} {m.group(1)}: the build stage did not produce it')
                print(f'line {line}: COPY --from={name} {m.group(1)}: produced ({os.path.getsize(path)} bytes)')
                copied += 1
    if copied == 0:
        fail(f'no later stage copies anything from stage {name}')
    print(f'build stage {name} of {dockerfile}: done')


if __name__ == '__main__':
    main()
