using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace FusedOps.Generator.Tests;

/// <summary>
/// Runs <see cref="FusedPipelineGenerator"/> on in-memory compilations: the .NET 10 reference
/// assemblies from Basic.Reference.Assemblies (nothing downloaded at test time) plus the FusedOps
/// runtime, nullable enabled, no unsafe code, every warning wave on, XML doc comments checked.
/// </summary>
internal static class GeneratorHarness
{
    /// <summary>Documentation comments are parsed and diagnosed, as in a project with GenerateDocumentationFile.</summary>
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest, DocumentationMode.Diagnose);

    private static readonly CSharpCompilationOptions s_options = new CSharpCompilationOptions(
            OutputKind.DynamicallyLinkedLibrary,
            nullableContextOptions: NullableContextOptions.Enable,
            allowUnsafe: false,
            deterministic: true)
        .WithWarningLevel(9999);

    private static readonly ImmutableArray<MetadataReference> s_references =
    [
        .. Basic.Reference.Assemblies.Net100.References.All,
        MetadataReference.CreateFromFile(typeof(FusedOps.Parameter).Assembly.Location),
    ];

    /// <summary>A compilation of <paramref name="sources"/>, named <c>Source0.cs</c>, <c>Source1.cs</c>, … so diagnostics can be mapped back.</summary>
    public static CSharpCompilation CreateCompilation(params string[] sources) =>
        CSharpCompilation.Create(
            "PipelineTests",
            sources.Select((text, i) => CSharpSyntaxTree.ParseText(text, ParseOptions, path: $"Source{i}.cs")),
            s_references,
            s_options);

    /// <summary>A fresh driver that records every step, so the tests can read what was cached.</summary>
    public static GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create(
            [new FusedPipelineGenerator().AsSourceGenerator()],
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Compiles <paramref name="sources"/> and runs the generator once on a fresh driver.</summary>
    public static GeneratorRun Run(params string[] sources) => Run(CreateCompilation(sources), CreateDriver());

    /// <summary>
    /// The hint names the generator writes for the pipeline class <paramref name="stem"/> (<c>Samples.Net</c>),
    /// ordinal order: the public surface, inference, kernels (with a Conv2d), training.
    /// </summary>
    public static string[] PipelineFiles(string stem, bool conv) =>
        new[] { stem + ".g.cs", stem + ".Inference.g.cs", stem + ".Training.g.cs" }
            .Concat(conv ? new[] { stem + ".Kernels.g.cs" } : [])
            .Order(System.StringComparer.Ordinal)
            .ToArray();

    /// <summary>
    /// Runs the generator on <paramref name="source"/> and checks it reports exactly one <paramref name="id"/>
    /// error at <paramref name="locationText"/>, generates no source, does not crash (no CS8785 / AD0001),
    /// and leaves the user's code compiling. Returns the diagnostic.
    /// </summary>
    public static Diagnostic AssertRejected(string source, string id, string locationText)
    {
        GeneratorRun run = Run(source);

        Xunit.Assert.Null(run.Result.Exception);
        Diagnostic d = Xunit.Assert.Single(run.GeneratorDiagnostics);
        Xunit.Assert.Equal(id, d.Id);
        Xunit.Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Xunit.Assert.Equal(locationText, run.LocationText(d));
        AssertInSourceTree(run, d);
        Xunit.Assert.Empty(run.Sources);
        Xunit.Assert.DoesNotContain(run.GeneratorDiagnostics.Concat(run.CompilationDiagnostics), x => x.Id is "CS8785" or "AD0001");
        Xunit.Assert.Empty(run.CompilationDiagnostics.Where(x => x.Severity == DiagnosticSeverity.Error));
        return d;
    }

    /// <summary>
    /// Asserts <paramref name="diagnostic"/> points into one of the run's syntax trees, not at an external
    /// path-only location: only then do <c>#pragma warning disable</c> and <c>[SuppressMessage]</c> apply.
    /// </summary>
    public static void AssertInSourceTree(GeneratorRun run, Diagnostic diagnostic)
    {
        Xunit.Assert.Equal(LocationKind.SourceFile, diagnostic.Location.Kind);
        Xunit.Assert.Contains(diagnostic.Location.SourceTree, run.Compilation.SyntaxTrees);
    }

    /// <summary>
    /// The diagnostics of the generator assembly's analyzers (<see cref="Analyzers.OrphanLayersAnalyzer"/>) on
    /// <paramref name="sources"/>, as a build reports them; no generator runs.
    /// </summary>
    public static ImmutableArray<Diagnostic> Analyze(params string[] sources) =>
        CreateCompilation(sources)
            .WithAnalyzers([new Analyzers.OrphanLayersAnalyzer()])
            .GetAnalyzerDiagnosticsAsync()
            .GetAwaiter()
            .GetResult();

    /// <summary>Runs <paramref name="driver"/> (which may hold state from earlier runs) on <paramref name="compilation"/>.</summary>
    public static GeneratorRun Run(Compilation compilation, GeneratorDriver driver)
    {
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);
        return new GeneratorRun(driver, driver.GetRunResult().Results.Single(), output, generatorDiagnostics);
    }
}

/// <summary>One generator run: what it generated, what it reported, and the compilation with its output added.</summary>
/// <param name="Driver">The driver after the run; run it again to test caching.</param>
/// <param name="Result">The generator's own result: generated sources, diagnostics, exception, tracked steps.</param>
/// <param name="Compilation">The input compilation plus the generated trees.</param>
/// <param name="GeneratorDiagnostics">What the driver reported: the generator's diagnostics, and CS8785 if it threw.</param>
internal sealed record GeneratorRun(
    GeneratorDriver Driver,
    GeneratorRunResult Result,
    Compilation Compilation,
    ImmutableArray<Diagnostic> GeneratorDiagnostics)
{
    private ImmutableArray<Diagnostic>? _compilationDiagnostics;

    /// <summary>
    /// Every diagnostic of <see cref="Compilation"/>, computed on first use: binding the generated code
    /// costs far more than generating it, and a test that emits the compilation gets them from the emit.
    /// </summary>
    public ImmutableArray<Diagnostic> CompilationDiagnostics => _compilationDiagnostics ??= Compilation.GetDiagnostics();

    public ImmutableArray<GeneratedSourceResult> Sources => Result.GeneratedSources;

    /// <summary>Every diagnostic of the run, generator's and compiler's, that is a warning or an error.</summary>
    public IEnumerable<Diagnostic> WarningsAndErrors =>
        GeneratorDiagnostics.Concat(CompilationDiagnostics).Where(d => d.Severity >= DiagnosticSeverity.Warning);

    /// <summary>Warnings and errors the compiler reports inside generated trees.</summary>
    public IEnumerable<Diagnostic> GeneratedCodeWarningsAndErrors =>
        CompilationDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning && Sources.Any(s => s.SyntaxTree == d.Location.SourceTree));

    /// <summary>The text a diagnostic points at, looked up by file path (generator locations carry a path, not a tree).</summary>
    public string LocationText(Diagnostic diagnostic)
    {
        FileLinePositionSpan span = diagnostic.Location.GetLineSpan();
        SyntaxTree tree = Compilation.SyntaxTrees.Single(t => t.FilePath == span.Path);
        return tree.GetText().ToString(diagnostic.Location.SourceSpan);
    }

    /// <summary>Diagnostics as "ID: message (location)" lines, for assertion messages.</summary>
    public static string Describe(IEnumerable<Diagnostic> diagnostics) =>
        string.Join("\n", diagnostics.Select(d => d.ToString()));
}
