using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Text;
using FusedOps.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace FusedOps.Benchmarks;

/// <summary>
/// The generator's workload: an in-memory compilation of a made-up application with
/// <see cref="PipelineCount"/> <c>[FusedPipeline]</c> classes in <see cref="PipelineFileCount"/>
/// files (conv blocks, MLPs and two-block CNNs of varied sizes, all valid) plus a few files of
/// ordinary code, against the .NET 10 reference assemblies and the FusedOps runtime; and the two
/// edits an IDE would send: one to a file without pipelines, one to a pipeline's argument.
/// </summary>
/// <remarks>
/// Every timed run gets a compilation object of its own (<see cref="FreshCompilation"/>,
/// <see cref="WithUnrelatedEdit"/>, <see cref="WithPipelineEdit"/>): each edit in an IDE makes a
/// new <see cref="Compilation"/> whose symbols are bound anew, so reusing one would let later runs
/// find attribute data already bound. Parsing (including the edited tree's) is done here, once,
/// and not timed: the IDE parses whether or not a generator runs.
/// </remarks>
public sealed class GeneratorWorkload
{
    /// <summary>Pipeline classes in the compilation.</summary>
    public const int PipelineCount = 200;

    /// <summary>Files the pipelines are spread over.</summary>
    public const int PipelineFileCount = 20;

    private const string Namespace = "Contoso.Vision.Models";
    private const string UnrelatedFile = "Training/Metrics.cs";
    private const int EditedPipeline = 107;

    private static readonly CSharpParseOptions s_parseOptions = new(LanguageVersion.Latest, DocumentationMode.Parse);

    private static readonly CSharpCompilationOptions s_options = new(
        OutputKind.DynamicallyLinkedLibrary,
        nullableContextOptions: NullableContextOptions.Enable,
        deterministic: true);

    private readonly SyntaxTree _unrelatedOld;
    private readonly SyntaxTree _unrelatedNew;
    private readonly SyntaxTree _pipelineOld;
    private readonly SyntaxTree _pipelineNew;

    private GeneratorWorkload()
    {
        var trees = new List<SyntaxTree>();
        int otherLines = 0;
        (int Offset, string Old, string New)? pipelineEdit = null;
        for (int file = 0; file < PipelineFileCount; file++)
        {
            (string text, var edit) = PipelineFile(file);
            trees.Add(Parse(text, $"Models/Pipelines{file:00}.cs"));
            pipelineEdit ??= edit;
        }

        foreach ((string path, string text) in OtherFiles)
        {
            trees.Add(Parse(text, path));
            otherLines += text.Count(c => c == '\n');
        }

        Compilation = CSharpCompilation.Create(
            "Contoso.Vision",
            trees,
            [.. Basic.Reference.Assemblies.Net100.References.All, MetadataReference.CreateFromFile(typeof(Parameter).Assembly.Location)],
            s_options);

        // Resolve the references once; clones and edited compilations share the reference manager, as the IDE's do.
        if (Compilation.GetTypeByMetadataName("FusedOps.FusedPipelineAttribute") is null)
        {
            throw new InvalidOperationException("The FusedOps runtime is not referenced.");
        }

        OtherLines = otherLines;
        _unrelatedOld = trees.Single(t => t.FilePath == UnrelatedFile);
        _unrelatedNew = Edit(
            _unrelatedOld,
            ("// Mean of the values seen so far.", "// Mean of the values seen so far; 0 before the first value."),
            ("return _sum / _count;", "return _count == 0 ? 0 : _sum / _count;"));

        (int offset, string oldText, string newText) = pipelineEdit ?? throw new InvalidOperationException("No pipeline to edit.");
        _pipelineOld = trees[EditedPipeline / (PipelineCount / PipelineFileCount)];
        _pipelineNew = _pipelineOld.WithChangedText(_pipelineOld.GetText().WithChanges(new TextChange(new TextSpan(offset, oldText.Length), newText)));
        PipelineEditDescription = $"{_pipelineOld.FilePath}: {oldText} → {newText}";
        UnrelatedEditDescription = $"{UnrelatedFile}: a comment and a method body";
    }

    /// <summary>The compilation the first run sees.</summary>
    public CSharpCompilation Compilation { get; }

    /// <summary>Lines of the files without pipelines.</summary>
    public int OtherLines { get; }

    /// <summary>Files without pipelines.</summary>
    public static int OtherFileCount => OtherFiles.Length;

    /// <summary>What <see cref="WithUnrelatedEdit"/> changes.</summary>
    public string UnrelatedEditDescription { get; }

    /// <summary>What <see cref="WithPipelineEdit"/> changes.</summary>
    public string PipelineEditDescription { get; }

    /// <summary>Builds and parses the sources and creates the compilation (about a second).</summary>
    public static GeneratorWorkload Create() => new();

    /// <summary>A driver with a freshly constructed generator; <paramref name="trackSteps"/> only for the correctness check, never in timed runs.</summary>
    public static GeneratorDriver CreateDriver(bool trackSteps = false) =>
        CSharpGeneratorDriver.Create(
            [new FusedPipelineGenerator().AsSourceGenerator()],
            parseOptions: s_parseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>
    /// Runs <paramref name="driver"/> on <paramref name="compilation"/> and reads every generated
    /// source, as a build does before compiling them; returns the total characters generated.
    /// </summary>
    public static long Run(GeneratorDriver driver, Compilation compilation, out GeneratorDriver after)
    {
        after = driver.RunGenerators(compilation);
        long chars = 0;
        foreach (GeneratedSourceResult source in after.GetRunResult().Results[0].GeneratedSources)
        {
            chars += source.SourceText.Length;
        }

        return chars;
    }

    /// <summary>The compilation again, as a new object with no symbols bound yet.</summary>
    public Compilation FreshCompilation() => Compilation.Clone();

    /// <summary>The compilation with <see cref="UnrelatedFile"/> edited, as a new object.</summary>
    public Compilation WithUnrelatedEdit() => Compilation.ReplaceSyntaxTree(_unrelatedOld, _unrelatedNew);

    /// <summary>The compilation with one pipeline's argument edited, as a new object.</summary>
    public Compilation WithPipelineEdit() => Compilation.ReplaceSyntaxTree(_pipelineOld, _pipelineNew);

    /// <summary>
    /// The correctness check, untimed: a cold run and both edits on a driver that tracks steps.
    /// After the unrelated edit every output of <see cref="FusedPipelineGenerator.ParseStep"/> and
    /// <see cref="FusedPipelineGenerator.ModelStep"/> must be Cached or Unchanged; after the
    /// pipeline edit exactly one output of each step must be Modified and one source differ.
    /// </summary>
    public CheckResult Check()
    {
        GeneratorDriver driver = CreateDriver(trackSteps: true).RunGenerators(FreshCompilation());
        GeneratorRunResult cold = driver.GetRunResult().Results[0];
        GeneratorDriver afterUnrelated = driver.RunGenerators(WithUnrelatedEdit());
        GeneratorRunResult unrelated = afterUnrelated.GetRunResult().Results[0];
        GeneratorRunResult pipeline = driver.RunGenerators(WithPipelineEdit()).GetRunResult().Results[0];

        string[] texts = [.. cold.GeneratedSources.Select(s => s.SourceText.ToString())];
        return new CheckResult(
            Sources: cold.GeneratedSources.Length,
            Characters: texts.Sum(t => (long)t.Length),
            Lines: texts.Sum(t => (long)t.Count(c => c == '\n')),
            Utf8Bytes: texts.Sum(t => (long)Encoding.UTF8.GetByteCount(t)),
            Diagnostics: [.. cold.Diagnostics, .. unrelated.Diagnostics, .. pipeline.Diagnostics],
            Exception: cold.Exception ?? unrelated.Exception ?? pipeline.Exception,
            UnrelatedEdit: Reasons(unrelated),
            UnrelatedSourcesChanged: ChangedSources(cold, unrelated),
            PipelineEdit: Reasons(pipeline),
            PipelineSourcesChanged: ChangedSources(cold, pipeline),
            UnrelatedEditElapsed: afterUnrelated.GetTimingInfo().ElapsedTime,
            UnrelatedEditStepTimes: StepTimes(unrelated));
    }

    private static Dictionary<string, Dictionary<IncrementalStepRunReason, int>> Reasons(GeneratorRunResult run) =>
        new[] { FusedPipelineGenerator.ParseStep, FusedPipelineGenerator.ModelStep }.ToDictionary(
            step => step,
            step => (run.TrackedSteps.TryGetValue(step, out ImmutableArray<IncrementalGeneratorRunStep> steps) ? steps : [])
                .SelectMany(s => s.Outputs)
                .GroupBy(o => o.Reason)
                .ToDictionary(g => g.Key, g => g.Count()));

    // Time per named step (the generator's and Roslyn's own), summed over its runs, largest first.
    private static (string Step, TimeSpan Elapsed)[] StepTimes(GeneratorRunResult run) =>
        [.. run.TrackedSteps
            .Select(kv => (kv.Key, TimeSpan.FromTicks(kv.Value.Sum(s => s.ElapsedTime.Ticks))))
            .OrderByDescending(t => t.Item2)];

    private static int ChangedSources(GeneratorRunResult before, GeneratorRunResult after)
    {
        Dictionary<string, string> old = before.GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString());
        return after.GeneratedSources.Count(s => !old.TryGetValue(s.HintName, out string? text) || text != s.SourceText.ToString())
            + old.Keys.Count(k => after.GeneratedSources.All(s => s.HintName != k));
    }

    private static SyntaxTree Parse(string text, string path) =>
        CSharpSyntaxTree.ParseText(SourceText.From(text, Encoding.UTF8), s_parseOptions, path);

    // An IDE-style edit: text changes applied to the tree, which is reparsed incrementally.
    private static SyntaxTree Edit(SyntaxTree tree, params (string Old, string New)[] replacements)
    {
        SourceText text = tree.GetText();
        string s = text.ToString();
        var changes = replacements.Select(r =>
        {
            int at = s.IndexOf(r.Old, StringComparison.Ordinal);
            return at < 0 ? throw new InvalidOperationException($"'{r.Old}' not found in {tree.FilePath}") : new TextChange(new TextSpan(at, r.Old.Length), r.New);
        });
        return tree.WithChangedText(text.WithChanges(changes));
    }

    // One file of ten pipelines; returns the text and, for the file holding EditedPipeline, the edit of its first layer.
    private static (string Text, (int Offset, string Old, string New)? Edit) PipelineFile(int file)
    {
        int perFile = PipelineCount / PipelineFileCount;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"""
            // Models, part {file + 1} of {PipelineFileCount}.
            using FusedOps;

            namespace {Namespace};

            """);
        (int, string, string)? edit = null;
        for (int p = file * perFile; p < (file + 1) * perFile; p++)
        {
            var random = new Random(1000 + p);
            (string name, string summary, string[] layers) = ((p * 7) % 20) switch
            {
                < 8 => ConvBlock(p, random),
                < 15 => Mlp(p, random),
                _ => TwoBlockCnn(p, random),
            };
            sb.Append(CultureInfo.InvariantCulture, $"\n/// <summary>{summary}</summary>\n");
            for (int i = 0; i < layers.Length; i++)
            {
                if (p == EditedPipeline && i == 1)
                {
                    edit = (sb.Length, layers[i], Bump(layers[i]));
                }

                sb.Append(layers[i]).Append('\n');
            }

            sb.Append(CultureInfo.InvariantCulture, $"public partial class {name}\n{{\n}}\n");
        }

        return (sb.ToString(), edit);
    }

    // [Conv2d(48, 3, ...)] → [Conv2d(56, 3, ...)], [Linear(64)] → [Linear(72)]: the first argument plus 8.
    private static string Bump(string layer)
    {
        int open = layer.IndexOf('(', StringComparison.Ordinal) + 1;
        int end = open;
        while (char.IsAsciiDigit(layer[end]))
        {
            end++;
        }

        int value = int.Parse(layer[open..end], CultureInfo.InvariantCulture);
        return string.Concat(layer.AsSpan(0, open), (value + 8).ToString(CultureInfo.InvariantCulture), layer.AsSpan(end));
    }

    private static T Pick<T>(Random random, params T[] choices) => choices[random.Next(choices.Length)];

    private static string Activation(Random random) =>
        Pick(random, "[ReLU]", "[ReLU]", "[ReLU]", "[LeakyReLU(NegativeSlope = 0.1f)]", "[HardTanh]", "[LeakyReLU]");

    // Conv2d + BatchNorm + activation, sometimes strided, dilated, depthwise or without bias.
    private static (string, string, string[]) ConvBlock(int p, Random random)
    {
        int c = Pick(random, 1, 3, 4, 8, 16, 32);
        int h = Pick(random, 8, 12, 16, 24, 32);
        int w = random.Next(4) == 0 ? h * 2 : h;
        int k = Pick(random, 1, 3, 3, 3, 5);
        string conv = random.Next(6) switch
        {
            0 when c >= 4 => $"[Conv2d({c}, 3, Padding = 1, Groups = {c})]",
            1 when h >= 16 => $"[Conv2d({Pick(random, 16, 32, 48)}, 3, Stride = 2, Padding = 1)]",
            2 => $"[Conv2d({Pick(random, 8, 16, 24)}, 3, Padding = 2, Dilation = 2, Bias = false)]",
            _ => $"[Conv2d({Pick(random, 8, 16, 24, 32, 48, 64)}, {k}, Padding = {k / 2})]",
        };
        string bn = random.Next(3) == 0 ? "[BatchNorm(Momentum = 0.05f)]" : "[BatchNorm]";
        return ($"ConvBlock{p:000}", $"Conv block {p} on {c}×{h}×{w} images.", [$"[FusedPipeline({c}, {h}, {w})]", conv, bn, Activation(random)]);
    }

    // Two to four Linear layers with activations between them.
    private static (string, string, string[]) Mlp(int p, Random random)
    {
        int input = Pick(random, 16, 32, 64, 128, 256, 784);
        var layers = new List<string> { $"[FusedPipeline({input})]" };
        int hidden = random.Next(1, 4);
        for (int i = 0; i < hidden; i++)
        {
            layers.Add(random.Next(5) == 0 ? $"[Linear({Pick(random, 32, 64, 128, 256)}, Bias = false)]" : $"[Linear({Pick(random, 32, 64, 128, 256)})]");
            layers.Add(Activation(random));
        }

        layers.Add($"[Linear({Pick(random, 2, 4, 10, 16)})]");
        return ($"Mlp{p:000}", $"MLP {p} with {hidden} hidden layer(s) on {input} features.", [.. layers]);
    }

    // The Shapes sample's shape of network: two conv blocks, the second strided, then a classifier.
    private static (string, string, string[]) TwoBlockCnn(int p, Random random)
    {
        int c = Pick(random, 1, 3);
        int h = Pick(random, 16, 28, 32);
        int c1 = Pick(random, 8, 16);
        int c2 = Pick(random, 16, 32);
        var layers = new List<string>
        {
            $"[FusedPipeline({c}, {h}, {h})]",
            $"[Conv2d({c1}, 3, Padding = 1)]", "[BatchNorm]", "[ReLU]",
            $"[Conv2d({c2}, 3, Stride = 2, Padding = 1)]", "[BatchNorm]", "[ReLU]",
            "[Flatten]",
        };
        if (random.Next(2) == 0)
        {
            layers.Add($"[Linear({Pick(random, 32, 64)})]");
            layers.Add("[ReLU]");
        }

        layers.Add($"[Linear({Pick(random, 4, 10)})]");
        return ($"TwoBlockCnn{p:000}", $"Two-block CNN {p} on {c}×{h}×{h} images.", [.. layers]);
    }

    /// <summary>What <see cref="Check"/> found.</summary>
    /// <param name="Sources">Generated files after the cold run.</param>
    /// <param name="Characters">Characters generated.</param>
    /// <param name="Lines">Lines generated.</param>
    /// <param name="Utf8Bytes">Bytes generated, as UTF-8.</param>
    /// <param name="Diagnostics">What the generator reported over the three runs (nothing, for valid pipelines).</param>
    /// <param name="Exception">An exception the generator threw, if any.</param>
    /// <param name="UnrelatedEdit">Per tracked step, how many outputs had each run reason after the unrelated edit.</param>
    /// <param name="UnrelatedSourcesChanged">Generated sources whose text differs after the unrelated edit.</param>
    /// <param name="PipelineEdit">Per tracked step, the run reasons after the pipeline edit.</param>
    /// <param name="PipelineSourcesChanged">Generated sources whose text differs after the pipeline edit.</param>
    /// <param name="UnrelatedEditElapsed">The generator's time in the (tracked) run after the unrelated edit.</param>
    /// <param name="UnrelatedEditStepTimes">That run's time per named step.</param>
    public sealed record CheckResult(
        int Sources,
        long Characters,
        long Lines,
        long Utf8Bytes,
        ImmutableArray<Diagnostic> Diagnostics,
        Exception? Exception,
        Dictionary<string, Dictionary<IncrementalStepRunReason, int>> UnrelatedEdit,
        int UnrelatedSourcesChanged,
        Dictionary<string, Dictionary<IncrementalStepRunReason, int>> PipelineEdit,
        int PipelineSourcesChanged,
        TimeSpan UnrelatedEditElapsed,
        (string Step, TimeSpan Elapsed)[] UnrelatedEditStepTimes)
    {
        /// <summary>After the unrelated edit, every ParseStep and ModelStep output is Cached or Unchanged (and there is one per pipeline).</summary>
        public bool UnrelatedEditCached => UnrelatedEdit.Values.All(reasons =>
            reasons.Values.Sum() == PipelineCount && reasons.All(r => r.Key is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));

        /// <summary>After the pipeline edit, exactly one output of each step is Modified and the rest Cached or Unchanged.</summary>
        public bool PipelineEditIsolated => PipelineEdit.Values.All(reasons =>
            reasons.Values.Sum() == PipelineCount
            && reasons.GetValueOrDefault(IncrementalStepRunReason.Modified) == 1
            && reasons.Where(r => r.Key != IncrementalStepRunReason.Modified).All(r => r.Key is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));

        /// <summary>No diagnostics, no exception, 200 sources, the caching as it should be.</summary>
        public bool Passed => Exception is null && Diagnostics.IsEmpty && Sources == PipelineCount
            && UnrelatedEditCached && UnrelatedSourcesChanged == 0 && PipelineEditIsolated && PipelineSourcesChanged == 1;

        /// <summary>Run reasons of one step, as "Cached 199, Modified 1".</summary>
        public static string Describe(Dictionary<IncrementalStepRunReason, int> reasons) =>
            string.Join(", ", reasons.OrderBy(r => r.Key).Select(r => $"{r.Key} {r.Value}"));
    }

    // Ordinary application code: no pipelines, some attributed classes (which the generator's
    // orphan-layer check looks at), records, generics, LINQ.
    private static readonly (string Path, string Text)[] OtherFiles =
    [
        ("Training/Metrics.cs", """
            using System;
            using System.Collections.Generic;

            namespace Contoso.Vision.Training;

            /// <summary>A running mean.</summary>
            public sealed class RunningMean
            {
                private double _sum;
                private int _count;

                /// <summary>Adds one value.</summary>
                public void Add(double value)
                {
                    _sum += value;
                    _count++;
                }

                // Mean of the values seen so far.
                public double Mean()
                {
                    return _sum / _count;
                }
            }

            /// <summary>Classification metrics over a batch of logits.</summary>
            public static class Metrics
            {
                /// <summary>Index of the largest of <paramref name="logits"/>.</summary>
                public static int ArgMax(ReadOnlySpan<float> logits)
                {
                    int best = 0;
                    for (int i = 1; i < logits.Length; i++)
                    {
                        if (logits[i] > logits[best])
                        {
                            best = i;
                        }
                    }

                    return best;
                }

                /// <summary>Fraction of rows whose arg max is the label.</summary>
                public static double Accuracy(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels)
                {
                    int classes = logits.Length / labels.Length;
                    int correct = 0;
                    for (int n = 0; n < labels.Length; n++)
                    {
                        if (ArgMax(logits.Slice(n * classes, classes)) == labels[n])
                        {
                            correct++;
                        }
                    }

                    return (double)correct / labels.Length;
                }

                /// <summary>A confusion matrix, rows are labels.</summary>
                public static int[,] Confusion(IReadOnlyList<(int Label, int Predicted)> pairs, int classes)
                {
                    var m = new int[classes, classes];
                    foreach ((int label, int predicted) in pairs)
                    {
                        m[label, predicted]++;
                    }

                    return m;
                }
            }
            """),
        ("Training/Schedule.cs", """
            using System;

            namespace Contoso.Vision.Training;

            /// <summary>Learning-rate schedules.</summary>
            public abstract record Schedule(double BaseRate)
            {
                /// <summary>The rate at <paramref name="step"/>.</summary>
                public abstract double RateAt(int step);
            }

            /// <summary>Cosine decay with linear warm-up.</summary>
            public sealed record CosineSchedule(double BaseRate, int WarmupSteps, int TotalSteps) : Schedule(BaseRate)
            {
                /// <inheritdoc/>
                public override double RateAt(int step)
                {
                    if (step < WarmupSteps)
                    {
                        return BaseRate * (step + 1) / WarmupSteps;
                    }

                    double t = Math.Min(1.0, (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps));
                    return BaseRate * 0.5 * (1 + Math.Cos(Math.PI * t));
                }
            }

            /// <summary>Step decay.</summary>
            [Serializable]
            public sealed record StepSchedule(double BaseRate, int Every, double Factor) : Schedule(BaseRate)
            {
                /// <inheritdoc/>
                public override double RateAt(int step) => BaseRate * Math.Pow(Factor, step / Every);
            }
            """),
        ("Data/ImageBatch.cs", """
            using System;
            using System.Collections.Generic;
            using System.Linq;

            namespace Contoso.Vision.Data;

            /// <summary>A batch of images in NCHW order with labels.</summary>
            public sealed class ImageBatch
            {
                /// <summary>Creates an empty batch.</summary>
                public ImageBatch(int count, int channels, int height, int width)
                {
                    Count = count;
                    Channels = channels;
                    Height = height;
                    Width = width;
                    Pixels = new float[count * channels * height * width];
                    Labels = new int[count];
                }

                /// <summary>Images in the batch.</summary>
                public int Count { get; }

                /// <summary>Channels per image.</summary>
                public int Channels { get; }

                /// <summary>Rows per image.</summary>
                public int Height { get; }

                /// <summary>Columns per image.</summary>
                public int Width { get; }

                /// <summary>The pixels.</summary>
                public float[] Pixels { get; }

                /// <summary>The labels.</summary>
                public int[] Labels { get; }

                /// <summary>One image's pixels.</summary>
                public Span<float> Image(int n) => Pixels.AsSpan(n * Channels * Height * Width, Channels * Height * Width);

                /// <summary>Splits <paramref name="indices"/> into batches of <paramref name="size"/>.</summary>
                public static IEnumerable<int[]> Batches(IEnumerable<int> indices, int size) => indices.Chunk(size);
            }

            /// <summary>Reads labelled images from memory.</summary>
            [Obsolete("Use a streaming loader.")]
            public sealed class InMemoryLoader(IReadOnlyList<(float[] Pixels, int Label)> items)
            {
                /// <summary>Fills <paramref name="batch"/> from <paramref name="start"/>.</summary>
                public int Fill(ImageBatch batch, int start)
                {
                    int n = 0;
                    for (; n < batch.Count && start + n < items.Count; n++)
                    {
                        items[start + n].Pixels.CopyTo(batch.Image(n));
                        batch.Labels[n] = items[start + n].Label;
                    }

                    return n;
                }
            }
            """),
        ("Data/Augment.cs", """
            using System;

            namespace Contoso.Vision.Data;

            /// <summary>Simple augmentations, in place.</summary>
            public static class Augment
            {
                /// <summary>Mirrors every row of one channel plane.</summary>
                public static void FlipHorizontal(Span<float> plane, int height, int width)
                {
                    for (int y = 0; y < height; y++)
                    {
                        plane.Slice(y * width, width).Reverse();
                    }
                }

                /// <summary>Adds uniform noise in [−<paramref name="amplitude"/>, <paramref name="amplitude"/>].</summary>
                public static void Noise(Span<float> values, float amplitude, Random random)
                {
                    for (int i = 0; i < values.Length; i++)
                    {
                        values[i] += ((random.NextSingle() * 2) - 1) * amplitude;
                    }
                }

                /// <summary>Scales to zero mean and unit variance.</summary>
                public static void Standardize(Span<float> values)
                {
                    double mean = 0;
                    foreach (float v in values)
                    {
                        mean += v;
                    }

                    mean /= values.Length;
                    double variance = 0;
                    foreach (float v in values)
                    {
                        variance += (v - mean) * (v - mean);
                    }

                    float scale = (float)(1 / Math.Sqrt((variance / values.Length) + 1e-8));
                    for (int i = 0; i < values.Length; i++)
                    {
                        values[i] = (float)((values[i] - mean) * scale);
                    }
                }
            }
            """),
        ("App/Options.cs", """
            using System;
            using System.Collections.Generic;
            using System.ComponentModel;

            namespace Contoso.Vision.App;

            /// <summary>Command-line options.</summary>
            [Description("Training options")]
            public sealed class Options
            {
                /// <summary>Epochs to train.</summary>
                public int Epochs { get; set; } = 10;

                /// <summary>Samples per batch.</summary>
                public int BatchSize { get; set; } = 64;

                /// <summary>The model's class name.</summary>
                public string Model { get; set; } = "TwoBlockCnn";

                /// <summary>Parses "--name value" pairs.</summary>
                public static Options Parse(IReadOnlyList<string> args)
                {
                    var options = new Options();
                    for (int i = 0; i + 1 < args.Count; i += 2)
                    {
                        switch (args[i])
                        {
                            case "--epochs":
                                options.Epochs = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
                                break;
                            case "--batch":
                                options.BatchSize = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
                                break;
                            case "--model":
                                options.Model = args[i + 1];
                                break;
                            default:
                                throw new ArgumentException($"Unknown option {args[i]}");
                        }
                    }

                    return options;
                }
            }
            """),
        ("Util/Guard.cs", """
            using System;
            using System.Collections.Generic;
            using System.Linq;

            namespace Contoso.Vision.Util;

            /// <summary>Argument checks.</summary>
            public static class Guard
            {
                /// <summary>Throws unless <paramref name="value"/> is positive.</summary>
                public static int Positive(int value, string name) =>
                    value > 0 ? value : throw new ArgumentOutOfRangeException(name, value, "must be positive");

                /// <summary>Throws unless every element is finite.</summary>
                public static void Finite(IEnumerable<float> values, string name)
                {
                    if (values.Any(v => !float.IsFinite(v)))
                    {
                        throw new ArgumentException("must be finite", name);
                    }
                }
            }

            /// <summary>A fixed-size ring buffer of recent values.</summary>
            public sealed class Ring<T>(int capacity)
            {
                private readonly T[] _items = new T[capacity];
                private int _next;

                /// <summary>Values held.</summary>
                public int Count { get; private set; }

                /// <summary>Adds a value, dropping the oldest when full.</summary>
                public void Add(T item)
                {
                    _items[_next] = item;
                    _next = (_next + 1) % _items.Length;
                    Count = Math.Min(Count + 1, _items.Length);
                }
            }
            """),
    ];
}
