package ckptsim.live;

import java.util.HashMap;
import java.util.Map;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.Collector;

/**
 * The job live-check.py runs against ckptsim: a generated stream of longs, keyed by
 * value modulo `keys`, a keyed function that keeps a count and `payload` bytes per key,
 * and a sink that discards.
 *
 * <p>Arguments are key=value. A key with a dot is Flink configuration
 * (execution.checkpointing.interval=2s, rest.bind-port=18081); the others are the job's:
 * rate (records per second over all subtasks, 0 for as fast as it goes), keys, payload
 * (bytes of state per key), pauseEvery (the keyed function sleeps 1 ms every N records
 * per subtask, 0 never: steady backpressure), name.
 */
public final class ProbeJob {

    public static void main(String[] args) throws Exception {
        Map<String, String> flink = new HashMap<>();
        Map<String, String> job = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("expected key=value, got " + arg);
            }
            String key = arg.substring(0, eq);
            (key.contains(".") ? flink : job).put(key, arg.substring(eq + 1));
        }
        long rate = Long.parseLong(job.getOrDefault("rate", "20000"));
        long keys = Long.parseLong(job.getOrDefault("keys", "100000"));
        int payload = Integer.parseInt(job.getOrDefault("payload", "64"));
        long pauseEvery = Long.parseLong(job.getOrDefault("pauseEvery", "0"));

        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(Configuration.fromMap(flink));
        DataGeneratorSource<Long> source = rate > 0
                ? new DataGeneratorSource<>(i -> i, Long.MAX_VALUE, RateLimiterStrategy.perSecond(rate), Types.LONG)
                : new DataGeneratorSource<>(i -> i, Long.MAX_VALUE, Types.LONG);
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "numbers").uid("numbers")
                .keyBy(v -> v % keys)
                .process(new CountAndPayload(payload, pauseEvery)).uid("count").name("count")
                .sinkTo(new DiscardingSink<>()).uid("discard").name("discard");
        env.execute(job.getOrDefault("name", "ckptsim-live-check"));
    }

    /** Per key: a count, and `payload` bytes written once. Emits the new count. */
    static final class CountAndPayload extends KeyedProcessFunction<Long, Long, Long> {
        private final int payload;
        private final long pauseEvery;
        private transient ValueState<Long> count;
        private transient ValueState<byte[]> bytes;
        private transient long seen;

        CountAndPayload(int payload, long pauseEvery) {
            this.payload = payload;
            this.pauseEvery = pauseEvery;
        }

        @Override
        public void open(OpenContext context) {
            count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
            bytes = getRuntimeContext().getState(new ValueStateDescriptor<>("payload", byte[].class));
        }

        @Override
        public void processElement(Long value, Context context, Collector<Long> out) throws Exception {
            Long previous = count.value();
            long next = previous == null ? 1 : previous + 1;
            if (previous == null && payload > 0) {
                bytes.update(new byte[payload]);
            }
            count.update(next);
            if (pauseEvery > 0 && ++seen % pauseEvery == 0) {
                Thread.sleep(1);
            }
            out.collect(next);
        }
    }
}
