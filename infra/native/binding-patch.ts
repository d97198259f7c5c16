/**
 * Additions to tfjs-node's binding source, applied by setup:native before node-pre-gyp builds it:
 * what running a whole training step as one TensorFlow function needs and the stock binding lacks.
 *   addFunctionDef(bytes)  registers a serialized FunctionDef in the backend's eager context
 *                          (TFE_ContextAddFunctionDef); `executeOp(name, ...)` then runs it like any op
 *   removeFunction(name)   unregisters it (TFE_ContextRemoveFunction)
 *   getAllOpList()         the serialized OpList of every op the linked TensorFlow registers
 *                          (TF_GetAllOpList): the function encoder needs each op's output arg names
 * Each edit goes before a line of the stock 4.22.0 source and is marked, so applying it twice
 * changes nothing; PATCH_ID names this version of the edits in the addon cache.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const MARKER = '// danq-sweep: compiled training step';

interface Edit {
  file: string;
  /** The stock line the addition goes before (its last occurrence). */
  before: string;
  addition: string;
}

const EDITS: Edit[] = [
  {
    file: 'tfjs_backend.h',
    before: '  napi_value GetNumOfTensors(napi_env env);',
    addition: `  ${MARKER}
  napi_value AddFunctionDef(napi_env env, napi_value function_def_value);
  void RemoveFunction(napi_env env, napi_value name_value);
  static napi_value GetAllOpList(napi_env env);

`,
  },
  {
    file: 'tfjs_backend.cc',
    before: '}  // namespace tfnodejs',
    addition: `${MARKER}
napi_value TFJSBackend::AddFunctionDef(napi_env env, napi_value function_def_value) {
  void *data = nullptr;
  size_t length = 0;
  ENSURE_NAPI_OK_RETVAL(env, napi_get_buffer_info(env, function_def_value, &data, &length), nullptr);
  TF_AutoStatus tf_status;
  TFE_ContextAddFunctionDef(tfe_context_, static_cast<const char *>(data), length, tf_status.status);
  ENSURE_TF_OK_RETVAL(env, tf_status, nullptr);
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  return undefined;
}

void TFJSBackend::RemoveFunction(napi_env env, napi_value name_value) {
  std::string name;
  ENSURE_NAPI_OK(env, GetStringParam(env, name_value, name));
  TF_AutoStatus tf_status;
  TFE_ContextRemoveFunction(tfe_context_, name.c_str(), tf_status.status);
  ENSURE_TF_OK(env, tf_status);
}

napi_value TFJSBackend::GetAllOpList(napi_env env) {
  TF_Buffer *op_list = TF_GetAllOpList();
  napi_value result;
  napi_status nstatus = napi_create_buffer_copy(env, op_list->length, op_list->data, nullptr, &result);
  TF_DeleteBuffer(op_list);
  ENSURE_NAPI_OK_RETVAL(env, nstatus, nullptr);
  return result;
}

`,
  },
  {
    file: 'tfjs_binding.cc',
    before: 'static napi_value InitTFNodeJSBinding(napi_env env, napi_value exports) {',
    addition: `${MARKER}
static napi_value AddFunctionDef(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  ENSURE_NAPI_OK_RETVAL(env, napi_get_cb_info(env, info, &argc, args, nullptr, nullptr), nullptr);
  bool is_buffer = false;
  if (argc < 1 || napi_is_buffer(env, args[0], &is_buffer) != napi_ok || !is_buffer) {
    NAPI_THROW_ERROR(env, "addFunctionDef() expects one Buffer (a serialized FunctionDef)");
    return nullptr;
  }
  TFJSBackend *const backend = GetTFJSBackend(env);
  if (!backend) return nullptr;
  return backend->AddFunctionDef(env, args[0]);
}

static napi_value RemoveFunction(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  napi_value js_this;
  ENSURE_NAPI_OK_RETVAL(env, napi_get_cb_info(env, info, &argc, args, &js_this, nullptr), nullptr);
  if (argc < 1) {
    NAPI_THROW_ERROR(env, "removeFunction() expects a function name");
    return nullptr;
  }
  ENSURE_VALUE_IS_STRING_RETVAL(env, args[0], nullptr);
  TFJSBackend *const backend = GetTFJSBackend(env);
  if (!backend) return nullptr;
  backend->RemoveFunction(env, args[0]);
  return js_this;
}

static napi_value GetAllOpList(napi_env env, napi_callback_info info) {
  return TFJSBackend::GetAllOpList(env);
}

`,
  },
  {
    file: 'tfjs_binding.cc',
    before: '      {"getNumOfTensors", nullptr, GetNumOfTensors, nullptr, nullptr,',
    addition: `      ${MARKER}
      {"addFunctionDef", nullptr, AddFunctionDef, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"removeFunction", nullptr, RemoveFunction, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"getAllOpList", nullptr, GetAllOpList, nullptr, nullptr, nullptr, napi_default, nullptr},
`,
  },
];

/** Names this version of the edits (the addon cache keeps one build per version). */
export const PATCH_ID = createHash('sha256').update(JSON.stringify(EDITS)).digest('hex').slice(0, 12);

/**
 * Applies the edits to `<pkgDir>/binding`; returns how many files changed (0 when already patched).
 * A source patched by another version of the edits is refused: `npm ci` restores the stock one.
 */
export function patchBindingSource(pkgDir: string): number {
  const sources = new Map<string, string>();
  const read = (file: string) => sources.get(file) ?? readFileSync(file, 'utf8');
  for (const file of new Set(EDITS.map((e) => e.file))) {
    const source = read(path.join(pkgDir, 'binding', file));
    const additions = EDITS.filter((e) => e.file === file).map((e) => e.addition);
    if (source.includes(MARKER) && !additions.every((a) => source.includes(a))) {
      throw new Error(`${path.join(pkgDir, 'binding', file)} carries another version of the compiled-step patch: reinstall the package (npm ci) and run setup:native again`);
    }
  }
  for (const edit of EDITS) {
    const file = path.join(pkgDir, 'binding', edit.file);
    const source = read(file);
    if (source.includes(edit.addition)) {
      sources.set(file, source);
      continue;
    }
    const at = source.lastIndexOf(edit.before);
    if (at < 0) throw new Error(`${file}: the line the compiled-step patch goes before is not there (not tfjs-node 4.22.0?): ${edit.before.trim()}`);
    sources.set(file, source.slice(0, at) + edit.addition + source.slice(at));
  }
  let changed = 0;
  for (const [file, source] of sources) {
    if (source === readFileSync(file, 'utf8')) continue;
    writeFileSync(file, source);
    changed++;
  }
  return changed;
}
