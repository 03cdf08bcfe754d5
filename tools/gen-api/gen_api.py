#!/usr/bin/env python3
"""Generates kopp's typed models of built-in Kubernetes kinds (include/kopp/api/<group>/<version>.hpp).

Input: the Kubernetes OpenAPI v3 spec files (api/openapi-spec/v3/*.json of the k8s.io/kubernetes
Go module) and, for one fact the spec does not record, the Go sources of the k8s.io/api,
apimachinery and apiextensions-apiserver modules: whether a string field is a Go pointer
(`*string`, where "" and absent differ) or a plain string (where they are the same thing).

Mapping rules (docs/api-types.md explains them):
  - every schema object becomes a struct described with BOOST_DESCRIBE_STRUCT, with a
    kopp::UnknownFields member, in dependency order;
  - required fields are plain members; arrays and maps are plain std::vector / std::map
    (empty == absent); nested objects that Go embeds by value (the spec marks them with
    `default: {}`) are plain members; strings are plain unless Go declares a pointer;
    every other optional field (numbers, bools, pointer objects, Quantity, IntOrString,
    Time, arbitrary JSON) is a std::optional;
  - kinds the API serves (a GET .../{plural}/{name} path) get KOPP_RESOURCE; List kinds are
    not generated (kopp::ObjectList<K> reads lists).
Standard library only.
"""

import argparse
import json
import os
import re
import sys
from collections import OrderedDict

K8S_VERSION = "1.37.2"

# (output path under include/kopp/api, C++ namespace segment, group, version, spec file,
#  OpenAPI definition prefix)
GROUPS = [
    ("meta/v1", "meta", "meta.k8s.io", "v1", None, "io.k8s.apimachinery.pkg.apis.meta.v1."),
    ("core/v1", "core", "", "v1", "api__v1_openapi.json", "io.k8s.api.core.v1."),
    ("apps/v1", "apps", "apps", "v1", "apis__apps__v1_openapi.json", "io.k8s.api.apps.v1."),
    ("batch/v1", "batch", "batch", "v1", "apis__batch__v1_openapi.json", "io.k8s.api.batch.v1."),
    ("coordination/v1", "coordination", "coordination.k8s.io", "v1",
     "apis__coordination.k8s.io__v1_openapi.json", "io.k8s.api.coordination.v1."),
    ("events/v1", "events", "events.k8s.io", "v1", "apis__events.k8s.io__v1_openapi.json",
     "io.k8s.api.events.v1."),
    ("rbac/v1", "rbac", "rbac.authorization.k8s.io", "v1",
     "apis__rbac.authorization.k8s.io__v1_openapi.json", "io.k8s.api.rbac.v1."),
    ("policy/v1", "policy", "policy", "v1", "apis__policy__v1_openapi.json", "io.k8s.api.policy.v1."),
    ("networking/v1", "networking", "networking.k8s.io", "v1",
     "apis__networking.k8s.io__v1_openapi.json", "io.k8s.api.networking.v1."),
    ("autoscaling/v2", "autoscaling", "autoscaling", "v2", "apis__autoscaling__v2_openapi.json",
     "io.k8s.api.autoscaling.v2."),
    ("apiextensions/v1", "apiextensions", "apiextensions.k8s.io", "v1",
     "apis__apiextensions.k8s.io__v1_openapi.json",
     "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1."),
]

META = "io.k8s.apimachinery.pkg.apis.meta.v1."
APIEXT = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1."

# Definitions with a hand-written kopp type: (C++ type, header).
SPECIAL = {
    META + "ObjectMeta": ("kopp::ObjectMeta", "kopp/core/object_meta.hpp"),
    META + "ListMeta": ("kopp::ListMeta", "kopp/core/object_meta.hpp"),
    META + "OwnerReference": ("kopp::OwnerReference", "kopp/core/object_meta.hpp"),
    META + "ManagedFieldsEntry": ("kopp::ManagedFieldsEntry", "kopp/core/managed_fields.hpp"),
    META + "FieldsV1": ("kopp::FieldsV1", "kopp/core/managed_fields.hpp"),
    META + "Condition": ("kopp::Condition", "kopp/core/condition.hpp"),
    META + "Status": ("kopp::Status", "kopp/core/status.hpp"),
    META + "StatusDetails": ("kopp::StatusDetails", "kopp/core/status.hpp"),
    META + "StatusCause": ("kopp::StatusCause", "kopp/core/status.hpp"),
    META + "Time": ("kopp::Time", "kopp/core/time.hpp"),
    META + "MicroTime": ("kopp::MicroTime", "kopp/core/time.hpp"),
    "io.k8s.apimachinery.pkg.api.resource.Quantity": ("kopp::Quantity", "kopp/core/quantity.hpp"),
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": ("kopp::IntOrString",
                                                        "kopp/core/int_or_string.hpp"),
    "io.k8s.apimachinery.pkg.runtime.RawExtension": ("kopp::RawJson", "kopp/core/raw_json.hpp"),
    APIEXT + "JSON": ("kopp::RawJson", "kopp/core/raw_json.hpp"),
    APIEXT + "JSONSchemaProps": ("kopp::RawJson", "kopp/core/raw_json.hpp"),
    APIEXT + "JSONSchemaPropsOrArray": ("kopp::RawJson", "kopp/core/raw_json.hpp"),
    APIEXT + "JSONSchemaPropsOrBool": ("kopp::RawJson", "kopp/core/raw_json.hpp"),
    APIEXT + "JSONSchemaPropsOrStringArray": ("kopp::RawJson", "kopp/core/raw_json.hpp"),
}
RAW_JSON = ("kopp::RawJson", "kopp/core/raw_json.hpp")

# meta/v1 re-exports the hand-written types under their Kubernetes names.
META_ALIASES = ["ObjectMeta", "ListMeta", "OwnerReference", "ManagedFieldsEntry", "FieldsV1",
                "Condition", "Status", "StatusDetails", "StatusCause", "Time", "MicroTime"]

CPP_KEYWORDS = set("""alignas alignof and and_eq asm auto bitand bitor bool break case catch char
char8_t char16_t char32_t class compl concept const consteval constexpr constinit const_cast
continue co_await co_return co_yield decltype default delete do double dynamic_cast else enum
explicit export extern false float for friend goto if inline int long mutable namespace new
noexcept not not_eq nullptr operator or or_eq private protected public register
reinterpret_cast requires return short signed sizeof static static_assert static_cast struct
switch template this thread_local throw true try typedef typeid typename union unsigned using
virtual void volatile wchar_t while xor xor_eq""".split())
# Macros that C and POSIX headers or GNU modes (-std=gnu++20 predefines `linux` and `unix`)
# may define: spelt with a trailing underscore like keywords.
CPP_KEYWORDS |= {"linux", "unix", "i386", "major", "minor", "makedev", "errno", "assert",
                 "stdin", "stdout", "stderr", "NULL", "EOF", "BUFSIZ", "TRUE", "FALSE"}
# Names that would collide with the generated members or the macros' own names.
RESERVED = {"unknown_fields"}
DESCRIBE_MAX_MEMBERS = 52  # BOOST_DESCRIBE_STRUCT's limit

IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class GenError(Exception):
    pass


def load_spec(spec_dir):
    schemas = {}
    resources = {}  # definition name -> (plural, namespaced)
    for _, _, group, version, fname, _ in GROUPS:
        if fname is None:
            continue
        path = os.path.join(spec_dir, fname)
        if not os.path.exists(path):
            raise GenError("spec file missing: " + path)
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        for name, schema in doc["components"]["schemas"].items():
            schemas.setdefault(name, schema)
        prefix = "/api/v1/" if group == "" else "/apis/%s/%s/" % (group, version)
        for path_key, item in doc.get("paths", {}).items():
            if not path_key.startswith(prefix):
                continue
            rest = path_key[len(prefix):]
            m = re.fullmatch(r"namespaces/\{namespace\}/([a-z0-9]+)/\{name\}", rest)
            namespaced = True
            if not m:
                m = re.fullmatch(r"([a-z0-9]+)/\{name\}", rest)
                namespaced = False
            if not m or "get" not in item:
                continue
            try:
                content = item["get"]["responses"]["200"]["content"]
                ref = content["application/json"]["schema"]["$ref"]
            except KeyError:
                continue
            definition = ref.split("/")[-1]
            resources[definition] = (m.group(1), namespaced)
    return schemas, resources


def load_go_pointers(go_root, k8s_version):
    """{definition name: {json name: is_pointer}} for the packages we generate."""
    staging = "v0." + k8s_version.split(".", 1)[1]
    pkgs = {}
    for _, _, _, _, _, prefix in GROUPS:
        if prefix == META:
            pkgs[prefix] = os.path.join(go_root, "apimachinery@" + staging, "pkg/apis/meta/v1")
        elif prefix == APIEXT:
            pkgs[prefix] = os.path.join(go_root, "apiextensions-apiserver@" + staging,
                                        "pkg/apis/apiextensions/v1")
        else:
            group, version = prefix[len("io.k8s.api."):-1].split(".")
            pkgs[prefix] = os.path.join(go_root, "api@" + staging, group, version)
    result = {}
    embedded = {}  # definition -> [embedded Go type names] (json:",inline")
    struct_re = re.compile(r"^type (\w+) struct \{\s*$")
    field_re = re.compile(r"^\t(\w+)\s+(\*?)\S+\s+`[^`]*json:\"([^\",]*)")
    inline_re = re.compile(r"^\t\*?([\w.]+)\s+`")
    for prefix, directory in pkgs.items():
        if not os.path.isdir(directory):
            raise GenError("Go sources missing: %s (run tools/controlplane/build.sh, which "
                           "downloads the Kubernetes modules)" % directory)
        for fname in sorted(os.listdir(directory)):
            if not fname.endswith(".go") or fname.endswith("_test.go") or \
                    fname.startswith("zz_generated") or fname.startswith("generated"):
                continue
            current = None
            with open(os.path.join(directory, fname), encoding="utf-8") as f:
                for line in f:
                    m = struct_re.match(line)
                    if m:
                        current_name = prefix + m.group(1)
                        current = result.setdefault(current_name, {})
                        continue
                    if line.startswith("}"):
                        current = None
                        continue
                    if current is not None:
                        fm = field_re.match(line)
                        if fm and fm.group(3):
                            current[fm.group(3)] = fm.group(2) == "*"
                        im = inline_re.match(line)
                        if im:
                            embedded.setdefault(current_name, []).append((prefix, im.group(1)))

    def resolve(name, seen):
        fields = dict(result.get(name, {}))
        for prefix, go_type in embedded.get(name, []):
            if go_type.endswith("TypeMeta"):
                fields.update({"apiVersion": False, "kind": False})
            elif "." not in go_type and prefix + go_type not in seen:
                for k, v in resolve(prefix + go_type, seen | {name}).items():
                    fields.setdefault(k, v)
        return fields

    return {name: resolve(name, set()) for name in result}


def first_sentence(text, limit=200):
    text = " ".join((text or "").split())
    m = re.search(r"(?<![A-Z]\.)(?<!e\.g)(?<!i\.e)(?<!etc)\.(\s|$)", text)
    if m:
        text = text[:m.start() + 1]
    if len(text) > limit:
        cut = text.rfind(" ", 0, limit - 3)
        text = text[:cut if cut > 0 else limit - 3] + "..."
    return text.replace("*/", "* /").replace("\\", "\\\\" if False else "\\")


def ref_of(schema):
    if "$ref" in schema:
        return schema["$ref"].split("/")[-1]
    all_of = schema.get("allOf")
    if all_of and len(all_of) == 1 and "$ref" in all_of[0]:
        return all_of[0]["$ref"].split("/")[-1]
    return None


def is_raw_json_schema(schema):
    """An object with no declared shape (or one that keeps unknown fields) is arbitrary JSON."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return True
    if "properties" in schema or "additionalProperties" in schema:
        return False
    return schema.get("type", "object") == "object" and "items" not in schema


class Generator:
    def __init__(self, schemas, resources, go_pointers):
        self.schemas = schemas
        self.resources = resources
        self.go = go_pointers
        self.warnings = []
        self.codec_sources = {}  # group/version -> text of impl/<version>.ipp
        self.group_of_prefix = {g[5]: g for g in GROUPS}

    def header_of(self, definition):
        for prefix, g in self.group_of_prefix.items():
            if definition.startswith(prefix) and "." not in definition[len(prefix):]:
                return g
        return None

    def is_list_kind(self, name, schema):
        props = schema.get("properties", {})
        return name.endswith("List") and "items" in props and \
            ref_of(props.get("metadata", {})) == META + "ListMeta"

    def is_struct(self, name):
        if name in SPECIAL:
            return False
        schema = self.schemas.get(name)
        if schema is None:
            raise GenError("unresolved reference " + name)
        return "properties" in schema and not schema.get("x-kubernetes-preserve-unknown-fields")

    def definitions_of(self, g):
        prefix = g[5]
        out = []
        for name in sorted(self.schemas):
            if not name.startswith(prefix) or "." in name[len(prefix):]:
                continue
            if name in SPECIAL or not self.is_struct(name):
                continue
            if self.is_list_kind(name, self.schemas[name]):
                continue
            out.append(name)
        return out

    # -- types -------------------------------------------------------------------------
    def cpp_type(self, schema, current, deps, includes, ctx):
        """C++ type of a property schema (not wrapped in optional)."""
        ref = ref_of(schema)
        if ref is not None:
            if ref in SPECIAL:
                includes.add(SPECIAL[ref][1])
                return SPECIAL[ref][0], "special"
            target = self.schemas.get(ref)
            if target is None:
                raise GenError("%s: unresolved reference %s" % (ctx, ref))
            if not self.is_struct(ref):
                if is_raw_json_schema(target):
                    includes.add(RAW_JSON[1])
                    return RAW_JSON[0], "special"
                return self.cpp_type(target, current, deps, includes, ctx)
            g = self.header_of(ref)
            if g is None:
                # A (usually alpha, feature-gated) type of a group kopp does not model: the
                # field stays reachable as arbitrary JSON.
                self.warnings.append("%s refers to %s, outside the generated groups: kopp::RawJson"
                                     % (ctx.split("[")[0].split("{")[0], ref))
                includes.add(RAW_JSON[1])
                return RAW_JSON[0], "special"
            short = ref.split(".")[-1]
            if g is current:
                deps.add(ref)
                return short, "struct"
            includes.add("kopp/api/%s.hpp" % g[0])
            return "kopp::api::%s::%s::%s" % (g[1], g[3], short), "struct"
        t = schema.get("type")
        fmt = schema.get("format")
        if t == "string":
            return "std::string", "string"
        if t == "integer":
            if fmt == "int32":
                return "std::int32_t", "scalar"
            return "std::int64_t", "scalar"
        if t == "number":
            return "double", "scalar"
        if t == "boolean":
            return "bool", "scalar"
        if t == "array":
            inner, _ = self.cpp_type(schema["items"], current, deps, includes, ctx + "[]")
            return "std::vector<%s>" % inner, "container"
        if t == "object" or t is None:
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict) and not schema.get("properties"):
                inner, _ = self.cpp_type(extra, current, deps, includes, ctx + "{}")
                return "std::map<std::string, %s>" % inner, "container"
            includes.add(RAW_JSON[1])
            return RAW_JSON[0], "special"
        raise GenError("%s: unsupported schema %r" % (ctx, schema))

    def member_name(self, key, ctx):
        name = key
        if key in CPP_KEYWORDS:
            name = key + "_"
        if not IDENT.match(key) or key in RESERVED or key.endswith("_"):
            return None
        return name

    def struct_of(self, name, g, includes):
        schema = self.schemas[name]
        required = set(schema.get("required", []))
        go_fields = self.go.get(name)
        if go_fields is None:
            self.warnings.append("no Go struct found for %s: optional strings stay std::optional" % name)
        deps = set()
        members = []
        for key in sorted(schema["properties"]):
            prop = schema["properties"][key]
            ctx = name + "." + key
            member = self.member_name(key, ctx)
            if member is None:
                self.warnings.append("field %s is not a valid C++ member name: kept in unknown_fields" % ctx)
                continue
            cpp, category = self.cpp_type(prop, g, deps, includes, ctx)
            optional = False
            if key not in required:
                if category == "container":
                    optional = False
                elif category == "struct" or (category == "special" and cpp != RAW_JSON[0]):
                    # Go embeds the struct by value (the spec's `default: {}`): it is never
                    # absent, so a plain member says so.
                    optional = prop.get("default") != {}
                elif category == "string":
                    if go_fields is not None and key in go_fields:
                        optional = go_fields[key]
                    else:
                        optional = True
                        if go_fields is not None:
                            self.warnings.append("no Go field for %s: std::optional" % ctx)
                else:
                    optional = True
            if key in required and cpp == RAW_JSON[0]:
                optional = False
            if optional:
                includes.add("<optional>")
                cpp = "std::optional<%s>" % cpp
            init = ""
            if cpp in ("std::int32_t", "std::int64_t", "double"):
                init = " = 0"
            elif cpp == "bool":
                init = " = false"
            members.append((member, cpp, init, first_sentence(prop.get("description"), 160)))
        if len(members) + 1 > DESCRIBE_MAX_MEMBERS:
            raise GenError("%s has %d members, more than BOOST_DESCRIBE_STRUCT allows" % (name, len(members)))
        return deps, members

    # -- output ------------------------------------------------------------------------
    def generate(self, g):
        includes = set()
        structs = OrderedDict()
        deps_of = {}
        for name in self.definitions_of(g):
            deps, members = self.struct_of(name, g, includes)
            structs[name] = members
            deps_of[name] = deps
        # Topological order (dependencies first), alphabetical among equals.
        order, state = [], {}

        def visit(n, stack):
            if state.get(n) == 2:
                return
            if state.get(n) == 1:
                raise GenError("recursive types: " + " -> ".join(stack + [n]))
            state[n] = 1
            for d in sorted(deps_of.get(n, ())):
                if d not in structs:
                    raise GenError("%s needs %s, which is not generated" % (n, d))
                visit(d, stack + [n])
            state[n] = 2
            order.append(n)

        for n in structs:
            visit(n, [])

        ns = "kopp::api::%s::%s" % (g[1], g[3])
        gv = g[3] if g[2] == "" else "%s/%s" % (g[2], g[3])
        out = []
        out.append("#pragma once")
        out.append("// %s: typed models of the Kubernetes %s API (%s)." % (ns, gv, "v" + K8S_VERSION))
        out.append("//")
        out.append("// GENERATED by tools/gen-api/generate.sh from the Kubernetes OpenAPI v3 spec; do not")
        out.append("// edit. The mapping rules are in docs/api-types.md.")
        out.append("")
        std_includes = {"<cstdint>", "<map>", "<optional>", "<string>", "<vector>"}
        local = {i for i in includes if not i.startswith("<")}
        local |= {"kopp/core/resource.hpp", "kopp/core/unknown_fields.hpp"}
        if g[0] == "meta/v1":
            local |= {SPECIAL[META + a][1] for a in META_ALIASES}
        if any(n in self.resources for n in structs):
            local.add("kopp/core/object_meta.hpp")
        api_includes = sorted(i for i in local if i.startswith("kopp/api/"))
        core_includes = sorted(i for i in local if not i.startswith("kopp/api/"))
        core_includes = sorted(set(core_includes) | {"kopp/core/detail/config.hpp"})
        for inc in api_includes + core_includes:
            out.append("#include <%s>" % inc)
        out.append("")
        out.append("#include <boost/describe/class.hpp>")
        out.append("")
        for inc in sorted(std_includes):
            out.append("#include %s" % inc)
        out.append("")
        out.append("namespace %s {" % ns)
        out.append("")
        if g[0] == "meta/v1":
            out.append("// Hand-written in kopp/core, re-exported under their Kubernetes names.")
            for a in META_ALIASES:
                out.append("using %s = %s;" % (a, SPECIAL[META + a][0]))
            out.append("")
        for name in order:
            schema = self.schemas[name]
            short = name.split(".")[-1]
            doc = first_sentence(schema.get("description"))
            if doc:
                out.append("/// " + doc)
            out.append("struct %s {" % short)
            for member, cpp, init, mdoc in structs[name]:
                if mdoc:
                    out.append("    /// " + mdoc)
                out.append("    %s %s%s;" % (cpp, member, init))
            out.append("    kopp::UnknownFields unknown_fields;")
            out.append("")
            out.append("    friend bool operator==(const %s&, const %s&) = default;" % (short, short))
            out.append("};")
            names = [m[0] for m in structs[name]] + ["unknown_fields"]
            out.extend(self.describe_lines(short, names))
            if name in self.resources:
                plural, namespaced = self.resources[name]
                gvks = schema.get("x-kubernetes-group-version-kind", [])
                gvk = next((x for x in gvks if x["group"] == g[2] and x["version"] == g[3]), None)
                if gvk is None:
                    raise GenError("%s is served but has no matching group-version-kind" % name)
                out.append('KOPP_RESOURCE(%s, "%s", "%s", "%s", "%s", %s)' % (
                    short, g[2], g[3], gvk["kind"], plural, "namespaced" if namespaced else "cluster"))
            out.append("")
        out.append("}  // namespace %s" % ns)
        out.append("")
        # Compiled mode (KOPP_SEPARATE_COMPILATION): the struct walks are compiled once, in
        # impl/<version>.ipp, instead of in every translation unit that encodes or decodes.
        qualified = ["%s::%s" % (ns, name.split(".")[-1]) for name in order]
        out.append("#if !KOPP_HEADER_ONLY")
        out.append("#include <kopp/core/json.hpp>")
        out.append("")
        for q in qualified:
            out.append("KOPP_JSON_CODEC_EXTERN(%s);" % q)
        out.append("#endif")
        out.append("")
        ipp = []
        ipp.append("#pragma once")
        ipp.append("// %s: the JSON codecs of the typed models, compiled once in kopp's compiled mode" % ns)
        ipp.append("// (kopp/src.hpp includes this file).")
        ipp.append("//")
        ipp.append("// GENERATED by tools/gen-api/generate.sh; do not edit.")
        ipp.append("")
        ipp.append("#include <kopp/api/%s.hpp>" % g[0])
        ipp.append("#include <kopp/core/json.hpp>")
        ipp.append("")
        for q in qualified:
            ipp.append("KOPP_JSON_CODEC_INSTANTIATE(%s);" % q)
        ipp.append("")
        self.codec_sources[g[0]] = "\n".join(ipp)
        return "\n".join(line for line in out if line is not None)

    @staticmethod
    def describe_lines(short, names):
        head = "BOOST_DESCRIBE_STRUCT(%s, (), (" % short
        lines, cur = [], head
        for i, n in enumerate(names):
            piece = n + (", " if i + 1 < len(names) else "))")
            if len(cur) + len(piece) > 96 and cur != head:
                lines.append(cur.rstrip())
                cur = "    " + piece
            else:
                cur += piece
        lines.append(cur)
        return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--spec-dir", required=True)
    ap.add_argument("--go-src", required=True, help="the k8s.io directory of the Go module cache")
    ap.add_argument("--out-dir", required=True)
    args = ap.parse_args()
    try:
        schemas, resources = load_spec(args.spec_dir)
        go = load_go_pointers(args.go_src, K8S_VERSION)
        gen = Generator(schemas, resources, go)
        outputs = {g[0]: gen.generate(g) for g in GROUPS}
    except GenError as e:
        print("gen-api: error: %s" % e, file=sys.stderr)
        return 1
    for rel, text in outputs.items():
        path = os.path.join(args.out_dir, rel + ".hpp")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        group, version = rel.split("/")
        path = os.path.join(args.out_dir, group, "impl", version + ".ipp")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(gen.codec_sources[rel])
    for w in sorted(set(gen.warnings)):
        print("gen-api: note: " + w, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
