"""Inside the compiled training step, per TensorFlow node, next to Keras 3's own train step.

The addon cannot return TensorFlow's per-node timings (no RunMetadata through tfjs-node), so
`npm run bench:profile -- --graph` exports the step function it registers (its FunctionDef, the
weights' shapes and the recorded step's inputs) to a folder and runs this script on it with the
same TensorFlow 2.21 kernels (the tensorflow-cpu wheel setup:native links; oneDNN on in both):

  .bench-venv/bin/python bench/profile_graph.py DIR '{"variant": {...}, "intraOp": 1, "interOp": 1, "batches": 5}'

It registers the function in the eager context, as the addon does, and calls it with fresh
resource variables; then trains the Keras twin of the same variant (train_throughput_keras.py)
with train_on_batch. Both run under TensorFlow's profiler, whose per-kernel events give, per
kernel kind, the ms per batch and how much of it overlapped a kernel on another thread (the
executor's inter-op parallelism; intra-op threads shorten a kernel instead), and the overall
parallelism (kernel time / wall time). It also prints what Grappler made of our function: op
counts before and after optimisation.
"""
import collections
import glob
import json
import os
import shutil
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.core.framework import function_pb2  # noqa: E402
from tensorflow.python.eager import context, execute  # noqa: E402
from tensorflow.tsl.profiler.protobuf import xplane_pb2  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_throughput_keras import compiled_model  # noqa: E402

NUMPY_DTYPE = {1: np.float32, 3: np.int32, 10: np.bool_}


def kernel_times(run, batches):
    """Runs `run` `batches` times under the profiler: (ms per batch by kernel kind, wall ms per batch, kernel ms per batch)."""
    logdir = tempfile.mkdtemp(prefix="profile-graph-")
    options = tf.profiler.experimental.ProfilerOptions(host_tracer_level=3, python_tracer_level=0, device_tracer_level=0)
    tf.profiler.experimental.start(logdir, options=options)
    started = time.perf_counter()
    for _ in range(batches):
        run()
    wall = (time.perf_counter() - started) * 1000 / batches
    tf.profiler.experimental.stop()
    space = xplane_pb2.XSpace()
    with open(glob.glob(f"{logdir}/**/*.xplane.pb", recursive=True)[0], "rb") as f:
        space.ParseFromString(f.read())
    shutil.rmtree(logdir)
    by_kind = collections.Counter()
    overlapped = collections.Counter()
    leaves = []
    for plane in space.planes:
        names = plane.event_metadata
        for line in plane.lines:
            if line.name == "python":
                continue
            # Kernel events are "node:KernelKind"; framework events name a C++ scope ("A::B").
            events = sorted(
                ((e.offset_ps + line.timestamp_ns * 1000, e.offset_ps + line.timestamp_ns * 1000 + e.duration_ps, names[e.metadata_id].name) for e in line.events if ":" in names[e.metadata_id].name and "::" not in names[e.metadata_id].name),
            )
            for k, (start, end, name) in enumerate(events):
                # An event that encloses the next one (a loop or call kernel) is counted by its children.
                if k + 1 < len(events) and events[k + 1][0] < end:
                    continue
                kind = name.rsplit(":", 1)[1]
                by_kind[kind] += (end - start) / 1e9 / batches
                leaves.append((start, end, kind, line.id))
    # Per kind, the time another thread ran a kernel at the same moment (inter-op overlap).
    bounds = sorted({t for start, end, _, _ in leaves for t in (start, end)})
    starts = collections.defaultdict(list)
    for index, (start, _, _, _) in enumerate(leaves):
        starts[start].append(index)
    active = set()
    for left, right in zip(bounds, bounds[1:]):
        active = {i for i in active if leaves[i][1] > left} | set(starts.get(left, ()))
        if len({leaves[i][3] for i in active}) > 1:
            for i in active:
                overlapped[leaves[i][2]] += (right - left) / 1e9 / batches
    return by_kind, overlapped, wall, sum(by_kind.values())


def wall_ms(run, batches):
    """Wall ms per batch without the profiler (its per-event cost weighs on many small kernels)."""
    started = time.perf_counter()
    for _ in range(batches):
        run()
    return (time.perf_counter() - started) * 1000 / batches


def grappler_report(graphs, name):
    """Op counts of a function before and after Grappler, and the nodes that tell what it did."""
    for fg in graphs:
        pre = collections.Counter(n.op for n in fg.pre_optimization_graph.node)
        post = collections.Counter(n.op for n in fg.post_optimization_graph.node)
        if not pre:
            continue
        print(f"\nGrappler on {name}: {sum(pre.values())} nodes before, {sum(post.values())} after")
        print("| op | before | after |")
        print("|---|---:|---:|")
        for op in sorted(set(pre) | set(post), key=lambda o: -(post[o] + pre[o])):
            print(f"| {op} | {pre[op]} | {post[op]} |")


def run_ours(folder):
    with open(os.path.join(folder, "function.json")) as f:
        meta = json.load(f)
    fdef = function_pb2.FunctionDef()
    with open(os.path.join(folder, "function.pb"), "rb") as f:
        fdef.ParseFromString(f.read())
    ctx = context.context()
    ctx.add_function_def(fdef)
    rng = np.random.default_rng(1)
    variables = []
    for shape in meta["weightShapes"]:
        variables += [tf.Variable(rng.normal(0, 0.05, shape).astype(np.float32)), tf.Variable(tf.zeros(shape)), tf.Variable(tf.zeros(shape))]
    inputs = [tf.constant(np.fromfile(os.path.join(folder, i["file"]), NUMPY_DTYPE[i["dtype"]]).reshape(i["shape"])) for i in meta["inputs"]]
    outputs = 1 + len(meta["weightShapes"])

    def step():
        # The updated weights are returned and dropped at once, as the Node side does.
        execute.execute(meta["name"].encode(), outputs, [v.handle for v in variables] + inputs, (), ctx)[0].numpy()

    return step


def main():
    folder, args = sys.argv[1], json.loads(sys.argv[2])
    batches = args["batches"]
    tf.config.threading.set_intra_op_parallelism_threads(args["intraOp"])
    tf.config.threading.set_inter_op_parallelism_threads(args["interOp"])
    ctx = context.context()
    ctx.enable_run_metadata()
    ours = run_ours(folder)
    ours()
    model, x, y = compiled_model(args["variant"])
    keras_step = lambda: model.train_on_batch(x, y)  # noqa: E731
    keras_step()
    graphs = ctx.export_run_metadata().function_graphs
    ctx.disable_run_metadata()
    ours_graphs = [g for g in graphs if any(n.op == "BlockLSTMV2" or n.op == "GRUBlockCell" for n in g.pre_optimization_graph.node)]
    grappler_report(ours_graphs[:1], "the compiled step")
    for _ in range(2):
        ours()
        keras_step()
    ours_plain, keras_plain = wall_ms(ours, batches), wall_ms(keras_step, batches)
    ours_kinds, ours_overlap, ours_wall, ours_kernels = kernel_times(ours, batches)
    keras_kinds, keras_overlap, keras_wall, keras_kernels = kernel_times(keras_step, batches)
    print(f"\nPer kernel kind, ms per batch ({args['intraOp']} intra-op, {args['interOp']} inter-op thread(s), {batches} batches; oneDNN kernels are the _Mkl* ones)")
    print("(overlapped: ms of it while a kernel ran on another thread)")
    print("| kernel | ours | overlapped | Keras 3 | overlapped |")
    print("|---|---:|---:|---:|---:|")
    for kind in sorted(set(ours_kinds) | set(keras_kinds), key=lambda k: -max(ours_kinds[k], keras_kinds[k])):
        if max(ours_kinds[kind], keras_kinds[kind]) >= 0.05:
            print(f"| {kind} | {ours_kinds[kind]:.2f} | {ours_overlap[kind]:.2f} | {keras_kinds[kind]:.2f} | {keras_overlap[kind]:.2f} |")
    print(f"| sum of kernels | {ours_kernels:.2f} | {sum(ours_overlap.values()):.2f} | {keras_kernels:.2f} | {sum(keras_overlap.values()):.2f} |")
    print(f"| wall per batch, profiled | {ours_wall:.2f} | | {keras_wall:.2f} | |")
    print(f"| wall per batch, not profiled | {ours_plain:.2f} | | {keras_plain:.2f} | |")
    print(f"| parallelism (kernel time / wall) | {ours_kernels / ours_wall:.2f} | | {keras_kernels / keras_wall:.2f} | |")


if __name__ == "__main__":
    main()
