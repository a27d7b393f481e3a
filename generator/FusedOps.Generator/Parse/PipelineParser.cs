using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using FusedOps.Generator.Diagnostics;
using FusedOps.Generator.Model;
using FusedOps.Generator.Plan;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FusedOps.Generator.Parse;

/// <summary>Stage 1: reads the class and its attributes into a <see cref="PipelineResult"/>; never throws.</summary>
internal static class PipelineParser
{
    public static PipelineResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var node = (TypeDeclarationSyntax)context.TargetNode;
        var diagnostics = new List<DiagnosticInfo>();
        try
        {
            return ParseCore(context, type, node, diagnostics, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, LocationInfo.From(node.Identifier.GetLocation()), type.Name, ex.GetType().Name + ": " + ex.Message));
            return new PipelineResult(null, diagnostics.ToEquatableArray());
        }
    }

    private static PipelineResult ParseCore(GeneratorAttributeSyntaxContext context, INamedTypeSymbol type, TypeDeclarationSyntax node, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        LocationInfo? typeLocation = LocationInfo.From(node.Identifier.GetLocation());
        AttributeData pipelineAttribute = context.Attributes[0];

        // [FusedPipeline] on two partial declarations (CS0579): handle the type once, from the first.
        SyntaxReference? firstPipeline = type.GetAttributes()
            .Where(a => a.AttributeClass?.ToDisplayString() == WellKnownNames.FusedPipelineAttribute && a.ApplicationSyntaxReference is not null)
            .Select(a => a.ApplicationSyntaxReference!)
            .FirstOrDefault();
        if (firstPipeline is not null && (firstPipeline.SyntaxTree != node.SyntaxTree || !node.Span.Contains(firstPipeline.Span)))
        {
            return new PipelineResult(null, EquatableArray<DiagnosticInfo>.Empty);
        }

        var pipelineSyntax = pipelineAttribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
        LocationInfo? pipelineLocation = LocationInfo.From(pipelineSyntax) ?? typeLocation;

        if (type.IsStatic || type.IsRecord || type.TypeKind != TypeKind.Class)
        {
            string kind = type.IsStatic ? "static class" : type.IsRecord ? "record" : type.TypeKind.ToString().ToLowerInvariant();
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotAClass, typeLocation, type.Name, kind));
        }
        else if (!node.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotPartial, typeLocation, type.Name));
        }

        var containing = new List<string>();
        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            var outerSyntax = outer.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>().ToList();
            if (!outerSyntax.Any(s => s.Modifiers.Any(SyntaxKind.PartialKeyword)))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ContainingTypeNotPartial, typeLocation, type.Name, outer.Name));
            }

            string keyword = outer.IsRecord ? (outer.IsValueType ? "record struct" : "record") : outer.TypeKind == TypeKind.Struct ? "struct" : outer.TypeKind == TypeKind.Interface ? "interface" : "class";
            containing.Insert(0, $"partial {keyword} {GeneratedNames.Escape(outer.Name)}");
        }

        // IsGenericType is also true when a containing type has type parameters, so this covers them once.
        if (type.IsGenericType)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericNotSupported, typeLocation, type.Name));
        }

        foreach (string member in Names.PublicMembers)
        {
            foreach (ISymbol symbol in type.GetMembers(member))
            {
                if (!symbol.IsImplicitlyDeclared && symbol.DeclaringSyntaxReferences.Length > 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MemberConflict, LocationInfo.From(symbol.Locations.FirstOrDefault()), type.Name, member));
                }
            }
        }

        foreach (ISymbol symbol in type.GetMembers())
        {
            if (!symbol.IsImplicitlyDeclared && symbol.DeclaringSyntaxReferences.Length > 0 && GeneratedNames.IsReservedPrivate(symbol.Name))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MemberConflict, LocationInfo.From(symbol.Locations.FirstOrDefault()), type.Name, symbol.Name));
            }
        }

        foreach (IMethodSymbol ctor in type.InstanceConstructors)
        {
            if (!ctor.IsImplicitlyDeclared && (ctor.Parameters.Length == 0 || (ctor.Parameters.Length == 1 && ctor.Parameters[0].Type.SpecialType == SpecialType.System_Int32)))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MemberConflict, LocationInfo.From(ctor.Locations.FirstOrDefault()), type.Name, ctor.Parameters.Length == 0 ? "constructor()" : "constructor(int)"));
            }
        }

        Shape? input = ParseInputShape(pipelineAttribute, pipelineSyntax, pipelineLocation, diagnostics);
        var layers = new List<Layer>();
        SyntaxNode? layersDeclaration = null;
        foreach (AttributeData attribute in type.GetAttributes())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!IsLayerAttribute(attribute.AttributeClass))
            {
                continue;
            }

            SyntaxNode? syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken);
            SyntaxNode? declaration = syntax?.Ancestors().OfType<TypeDeclarationSyntax>().FirstOrDefault();
            if (layersDeclaration is null)
            {
                layersDeclaration = declaration;
            }
            else if (declaration is not null && declaration != layersDeclaration)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayersSpread, LocationInfo.From(syntax), type.Name));
            }

            layers.Add(LayerReader.Read(layers.Count, attribute, syntax as AttributeSyntax, diagnostics));
        }

        if (layers.Count == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoLayers, pipelineLocation, type.Name));
        }

        if (diagnostics.Any(d => DiagnosticDescriptors.ById(d.Id).DefaultSeverity == DiagnosticSeverity.Error) || input is null)
        {
            return new PipelineResult(null, diagnostics.ToEquatableArray());
        }

        PipelineModel? model = PipelinePlanner.Plan(
            type.ContainingNamespace.IsGlobalNamespace ? null : string.Join(".", NamespaceParts(type.ContainingNamespace).Select(GeneratedNames.Escape)),
            GeneratedNames.Escape(type.Name),
            containing.ToEquatableArray(),
            HintName(type),
            input,
            layers,
            diagnostics);
        return new PipelineResult(model, diagnostics.ToEquatableArray());
    }

    private static IEnumerable<string> NamespaceParts(INamespaceSymbol ns)
    {
        var parts = new List<string>();
        for (INamespaceSymbol? n = ns; n is not null && !n.IsGlobalNamespace; n = n.ContainingNamespace)
        {
            parts.Insert(0, n.Name);
        }

        return parts;
    }

    private static string HintName(INamedTypeSymbol type)
    {
        string full = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", string.Empty);
        var chars = full.Select(c => char.IsLetterOrDigit(c) || c == '.' || c == '_' ? c : '_').ToArray();
        return new string(chars) + ".g.cs";
    }

    internal static bool IsLayerAttribute(INamedTypeSymbol? attributeClass)
    {
        for (INamedTypeSymbol? t = attributeClass?.BaseType; t is not null; t = t.BaseType)
        {
            if (t.Name == "LayerAttribute" && t.ContainingNamespace?.ToDisplayString() == WellKnownNames.Namespace)
            {
                return true;
            }
        }

        return false;
    }

    private static Shape? ParseInputShape(AttributeData attribute, AttributeSyntax? syntax, LocationInfo? location, List<DiagnosticInfo> diagnostics)
    {
        var dims = new List<int>();
        foreach (TypedConstant arg in attribute.ConstructorArguments)
        {
            if (arg.Kind == TypedConstantKind.Array && !arg.IsNull)
            {
                dims.AddRange(arg.Values.Select(v => v.Value is int i ? i : 0));
            }
            else if (arg.Kind != TypedConstantKind.Array && arg.Value is int i)
            {
                dims.Add(i);
            }
        }

        string text = "(" + string.Join(", ", dims) + ")";
        if (dims.Count != 1 && dims.Count != 3)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadInputShape, location, text, $"it has rank {dims.Count}, expected 1 (features) or 3 (channels, height, width)"));
            return null;
        }

        if (dims.Any(d => d < 1))
        {
            // Written one per argument (the params form), the first bad dimension is pointed at; an array argument is blamed whole.
            int bad = dims.FindIndex(d => d < 1);
            var arguments = syntax?.ArgumentList?.Arguments.Where(a => a.NameEquals is null).ToList();
            LocationInfo? where = arguments is not null && arguments.Count == dims.Count ? LocationInfo.From(arguments[bad])
                : arguments is { Count: 1 } ? LocationInfo.From(arguments[0])
                : location;
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadInputShape, where, text, "every dimension must be at least 1"));
            return null;
        }

        double length = dims.Aggregate(1.0, (a, b) => a * b); // double: a product of int dimensions can overflow long
        if (length > int.MaxValue / 64)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadInputShape, location, text, $"it has {length.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)} elements per sample, more than FusedOps supports ({int.MaxValue / 64})"));
            return null;
        }

        return dims.Count == 1 ? Shape.Vector(dims[0]) : Shape.Image(dims[0], dims[1], dims[2]);
    }
}
