// The threads the CPU kernels share their work with. A decoding step makes a few dozen products, each tens of
// microseconds long, with short libtorch calls between them; waking a thread-pool thread for each (Parallel.For) cost
// about as much as the product itself and, measured with perf, most of the time went to the pool's hand-off. These
// workers are started once, spin for a short while after each job (so the next product of the same step finds them
// awake) and then sleep on a semaphore until the next job. After the first 20 µs the spinning worker yields its core at
// every turn (sched_yield): a longer gap is a libtorch operation (attention, element-wise) whose own thread pool wants
// that core, and spinning through it slowed a 256-token prefill by about 15% (bench decode, 2 cores); the decoding step's
// gaps between products are shorter and keep the plain spin. The caller runs part 0 itself. One caller at a time: a second
// thread that asks while the workers are busy runs its job alone, on its own thread, with the same result (the kernels'
// arithmetic does not depend on which thread runs a part). An exception in any part reaches the caller once every part
// has finished (the first one thrown, with its own stack trace), and the workers stay ready for the next job.
// Reference: the same spin-then-block hand-off is used by llama.cpp's ggml thread pool and by OpenMP runtimes
// (OMP_WAIT_POLICY, GOMP_SPINCOUNT).
using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace TrajectoryLab.Torch.Kernels;

/// <summary>Runs part p of a job, p = 0 … parts − 1, on persistent worker threads and the caller.</summary>
internal static class KernelWorkers
{
    /// <summary>Most parts a job can have.</summary>
    public const int MaxParts = 64;

    /// <summary>Ranges per part in <see cref="RunRanges"/>.</summary>
    public const int RangesPerPart = 4;

    private static readonly long SpinTicks = Stopwatch.Frequency / 4000; // 250 µs of spinning before a worker sleeps
    private static readonly long PauseTicks = Stopwatch.Frequency / 50_000; // the first 20 µs of it without yielding
    private static readonly object Gate = new();
    private static readonly Worker[] Workers = new Worker[MaxParts];
    private static int _pending;
    private static Action<int>? _body;
    private static Exception? _failure; // the first exception a worker's part threw in the current job

    /// <summary>Runs <paramref name="body"/>(start, end) over items 0 … count − 1 cut into contiguous ranges: as many parts
    /// as libtorch has threads, but none with less than <paramref name="minimumWork"/> of the <paramref name="work"/> (the
    /// element-wise kernels: a decoding step's one row stays on the calling thread). Each part takes the next range not
    /// yet taken, <see cref="RangesPerPart"/> ranges per part, so that a worker that starts late costs the caller only
    /// the ranges it takes over instead of a wait for a fixed half (perf of a 256-token prefill: the caller waited about
    /// 40 µs per norm for a worker that had not yet been scheduled). Which thread runs a range changes nothing in it.</summary>
    /// <param name="count">Items (rows, features) to split.</param>
    /// <param name="work">The whole job's size, in the caller's unit (usually floats).</param>
    /// <param name="minimumWork">The least work worth a part of its own.</param>
    /// <param name="body">Runs items start … end − 1.</param>
    public static void RunRanges(long count, long work, long minimumWork, Action<long, long> body)
    {
        int parts = (int)Math.Clamp(Math.Min(TorchSharp.torch.get_num_threads(), work / minimumWork), 1, MaxParts);
        if (parts == 1)
        {
            body(0, count);
            return;
        }
        long ranges = Math.Min(count, (long)parts * RangesPerPart);
        long next = -1;
        Run(parts, _ =>
        {
            for (long range; (range = Interlocked.Increment(ref next)) < ranges; )
                body(count * range / ranges, count * (range + 1) / ranges);
        });
    }

    /// <summary>Runs <paramref name="body"/>(p) for p = 0 … parts − 1 and returns when all have finished; p = 0 runs on the
    /// calling thread. An exception in a part is thrown here after every part has finished (the caller's own first, else
    /// the first a worker threw); a worker that throws used to end the process.</summary>
    public static void Run(int parts, Action<int> body)
    {
        parts = Math.Clamp(parts, 1, MaxParts);
        if (parts == 1 || !Monitor.TryEnter(Gate))
        {
            Exception? first = null;
            for (int p = 0; p < parts; p++)
                try
                {
                    body(p);
                }
                catch (Exception e)
                {
                    first ??= e; // every part still runs, as on the workers
                }
            if (first is not null)
                ExceptionDispatchInfo.Throw(first);
            return;
        }
        try
        {
            for (int p = 1; p < parts; p++)
                Workers[p] ??= new Worker(p);
            _body = body;
            Volatile.Write(ref _pending, parts - 1);
            for (int p = 1; p < parts; p++)
                Workers[p].Post(); // a full fence: the worker sees _body and _pending
            Exception? own = null;
            try
            {
                body(0);
            }
            catch (Exception e)
            {
                own = e; // the workers still run their parts of this job: wait for them before the next job can start
            }
            var spin = new SpinWait();
            while (Volatile.Read(ref _pending) > 0)
                spin.SpinOnce(sleep1Threshold: -1);
            _body = null;
            var theirs = Interlocked.Exchange(ref _failure, null); // cleared for the next job either way
            if ((own ?? theirs) is { } failure)
                ExceptionDispatchInfo.Throw(failure);
        }
        finally
        {
            Monitor.Exit(Gate);
        }
    }

    private sealed class Worker
    {
        private readonly int _part;
        private readonly SemaphoreSlim _signal = new(0);
        private int _sleeping; // 1 while the worker has announced that it will wait on _signal
        private long _ticket; // jobs posted to this worker; it runs one each time the count moves

        public Worker(int part)
        {
            _part = part;
            new Thread(Loop) { IsBackground = true, Name = $"kernel worker {part}" }.Start();
        }

        /// <summary>Gives the worker the current job (its part of it) and releases it if it sleeps.</summary>
        public void Post()
        {
            Interlocked.Increment(ref _ticket);
            if (Interlocked.Exchange(ref _sleeping, 0) == 1)
                _signal.Release();
        }

        private void Loop()
        {
            long seen = 0;
            while (true)
            {
                long start = Stopwatch.GetTimestamp();
                long now;
                while ((now = Volatile.Read(ref _ticket)) == seen)
                {
                    long waited = Stopwatch.GetTimestamp() - start;
                    if (waited < PauseTicks)
                    {
                        Thread.SpinWait(20);
                        continue;
                    }
                    if (waited < SpinTicks)
                    {
                        Thread.Yield(); // the core goes to any thread waiting for it (libtorch's pool), else back here
                        continue;
                    }
                    Interlocked.Exchange(ref _sleeping, 1); // a full fence: the ticket is read after this is visible
                    if (Volatile.Read(ref _ticket) != seen && Interlocked.Exchange(ref _sleeping, 0) == 1)
                        continue; // a job arrived before the caller saw this worker asleep: take it without waiting
                    _signal.Wait(); // woken by Wake (which cleared _sleeping), or consuming the release it already made
                    start = Stopwatch.GetTimestamp();
                }
                seen = now;
                try
                {
                    _body!(_part);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _failure, e, null); // the caller rethrows the first
                }
                finally
                {
                    Interlocked.Decrement(ref _pending);
                }
            }
        }
    }
}
