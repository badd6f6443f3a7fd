using System.CommandLine;
using System.CommandLine.Completions;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Experiments.Silo.Cli;

/// <summary>
/// Words for the command-line parser's errors, in one place for every command. System.CommandLine says "Cannot parse
/// argument 'abc' for option '--epoch' as expected type 'System.Int64'" and "Required argument missing for command:
/// 'curves'"; a researcher should read "--epoch must be a whole number, got 'abc'" and "viz curves needs at least one
/// trial id, e.g. `viz curves 3 4`". The messages are found from the parse result's symbols and tokens (which option or
/// argument, of which type, with which text), not from the parser's English text, so they hold for every int, long and
/// double option and argument, present and future. An error this does not recognise keeps the parser's words.
/// </summary>
public static class ParseErrors
{
    private static readonly ConditionalWeakTable<Argument, Needs> _needs = [];

    private sealed record Needs(string What, string Example, string? Values);

    /// <summary>
    /// Says what a command's argument holds, for the message when it is missing: e.g. "at least one trial id" and "3 4"
    /// give "viz curves needs at least one trial id, e.g. `viz curves 3 4`". <paramref name="values"/> names its value
    /// in words, so a bad one reads "the sweep id must be a whole number, got 'abc'" (or, for a repeated argument,
    /// "trial ids must be whole numbers, got 'abc'") rather than naming the parser's &lt;sweep&gt;.
    /// </summary>
    public static TArgument Needing<TArgument>(this TArgument argument, string what, string example, string? values = null) where TArgument : Argument
    {
        _needs.AddOrUpdate(argument, new Needs(what, example, values));
        return argument;
    }

    /// <summary>
    /// Refuses a count below 1 ("--limit -5" reads "--limit must be at least 1, got -5") at parse time, before the
    /// database sees it. A word that is not a number stays the parser's error, which <see cref="Messages"/> words.
    /// </summary>
    public static Option<int> AtLeastOne(this Option<int> option)
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens is [var token] && int.TryParse(token.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var count) && count < 1)
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"{option.Name} must be at least 1, got {count}"));
        });
        return option;
    }

    /// <summary>One line for each of the parse's errors, without repeats, in the order the parser found them.</summary>
    public static IReadOnlyList<string> Messages(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return parse.Errors.Select(e => Message(e, parse)).Distinct().ToList();
    }

    /// <summary>
    /// A word where a command group (one without an action of its own, e.g. viz) takes its subcommand but that names none
    /// of them: "unknown command 'nonsense' for viz; choose one of: curves, kernels, …" instead of the parser's
    /// "Required command was not provided" and the group's whole help. Null for any other parse.
    /// </summary>
    public static string? UnknownSubcommand(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var group = parse.CommandResult.Command;
        if (group.Action is not null || group.Subcommands.Count == 0) return null;
        if (parse.UnmatchedTokens.FirstOrDefault(t => !t.StartsWith('-')) is not { } word) return null;
        var path = ExperimentsCommandLine.CommandPath(group);
        var choices = string.Join(", ", group.Subcommands.Where(c => !c.Hidden).Select(c => c.Name));
        return $"unknown command '{word}'" + (path.Length > 0 ? $" for {path}" : "") + $"; choose one of: {choices}";
    }

    private static string Message(ParseError error, ParseResult parse)
    {
        var parserWords = error.Message.ReplaceLineEndings(" ").Replace("\t", "", StringComparison.Ordinal);
        switch (error.SymbolResult)
        {
            case ArgumentResult { Tokens.Count: 0, Parent: CommandResult command }:
                return CommandProblem(command, parse) ?? parserWords;
            case ArgumentResult argument:
                return ArgumentValueProblem(argument.Argument, argument.Tokens)
                    ?? ChoiceProblem(Name(argument), argument.Parent is OptionResult parent ? parent.Option : argument.Argument, argument.Tokens) ?? parserWords;
            case OptionResult { IdentifierTokenCount: 0 } option:
                return $"{option.Option.Name} is required" + (Kind(option.Option.ValueType) is { } kind ? $" ({kind})" : "");
            case OptionResult option when option.Tokens.Count == 0 && option.Option.Arity.MinimumNumberOfValues > 0:
                return $"{option.Option.Name} needs a value after it" + (Kind(option.Option.ValueType) is { } valueKind ? $" ({valueKind})" : "");
            case OptionResult option:
                return ValueProblem(option.Option.Name, option.Option.ValueType, option.Tokens)
                    ?? ChoiceProblem(option.Option.Name, option.Option, option.Tokens) ?? parserWords;
            case CommandResult command:
                return CommandProblem(command, parse) ?? parserWords;
            default:
                return parserWords;
        }
    }

    /// <summary>A command's argument that is missing, or given a word where it takes numbers ("viz curves x").</summary>
    private static string? CommandProblem(CommandResult command, ParseResult parse)
    {
        var path = ExperimentsCommandLine.CommandPath(command.Command);
        foreach (var argument in command.Command.Arguments)
        {
            var given = command.GetResult(argument);
            if (Kind(argument.ValueType) is not null)
            {
                // A word where numbers go is not taken as the argument at all: the parser reports it as unrecognised.
                var stray = parse.UnmatchedTokens.FirstOrDefault(t => !t.StartsWith('-') && !Parses(t, argument.ValueType));
                if (stray is not null) return ArgumentValueProblem(argument, [stray]);
            }
            if (argument.Arity.MinimumNumberOfValues > 0 && (given is null || given.Tokens.Count == 0))
                return _needs.TryGetValue(argument, out var needs)
                    ? $"{path} needs {needs.What}, e.g. `{path} {needs.Example}`"
                    : $"{path} needs its <{argument.Name}> argument";
        }
        return null;
    }

    /// <summary>
    /// A command argument's bad value: named by what its values are where <see cref="Needing"/> says so ("the trial id
    /// must be a whole number", "trial ids must be whole numbers"), else as &lt;name&gt;.
    /// </summary>
    private static string? ArgumentValueProblem(Argument argument, IEnumerable<object> tokens) =>
        _needs.TryGetValue(argument, out var needs) && needs.Values is { } values
            ? ValueProblem(values, argument.ValueType, tokens, plural: argument.Arity.MaximumNumberOfValues > 1)
            : ValueProblem($"<{argument.Name}>", argument.ValueType, tokens);

    /// <summary>
    /// A word that is not one of the option's or argument's choices ("--scale foo"), said with the choices in our words;
    /// null when the symbol has no fixed choices or every word is one. The choices are the ones it completes to, which
    /// AcceptOnlyFromAmong sets, so they never go out of step with what is accepted.
    /// </summary>
    private static string? ChoiceProblem(string name, Symbol symbol, IEnumerable<object> tokens)
    {
        var choices = symbol.GetCompletions(CompletionContext.Empty).Select(c => c.Label).ToList();
        if (choices.Count == 0) return null;
        var stray = tokens.Select(t => t is Token parsed ? parsed.Value : t.ToString()!).FirstOrDefault(t => !choices.Contains(t, StringComparer.Ordinal));
        return stray is null ? null : $"{name} must be one of {string.Join(", ", choices)}; got '{stray}'";
    }

    /// <summary>The first token that is not a value of <paramref name="type"/>, said in words; null when each one is.</summary>
    private static string? ValueProblem(string name, Type type, IEnumerable<object> tokens, bool plural = false)
    {
        if (Kind(type) is not { } singular) return null;
        // "a whole number" for one value, "whole numbers" for the values of a repeated argument.
        var kind = plural ? singular["a ".Length..] + "s" : singular;
        foreach (var token in tokens.Select(t => t is Token parsed ? parsed.Value : t.ToString()!))
        {
            if (Parses(token, type)) continue;
            var element = Element(type);
            var whole = element == typeof(int) || element == typeof(long);
            if (whole && double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && number == Math.Floor(number) && double.IsFinite(number))
                return string.Create(CultureInfo.InvariantCulture, $"{name} must be a whole number up to {(element == typeof(int) ? int.MaxValue : long.MaxValue)}, got '{token}'");
            return $"{name} must be {kind}, got '{token}'";
        }
        return null;
    }

    private static string Name(ArgumentResult argument) =>
        argument.Parent is OptionResult option ? option.Option.Name : $"<{argument.Argument.Name}>";

    /// <summary>"a whole number" or "a number" for the numeric types our options use (alone, nullable or repeated); null otherwise.</summary>
    private static string? Kind(Type type)
    {
        var element = Element(type);
        if (element == typeof(int) || element == typeof(long)) return "a whole number";
        if (element == typeof(double) || element == typeof(float)) return "a number";
        return null;
    }

    private static Type Element(Type type)
    {
        var element = type.IsArray ? type.GetElementType()! : type;
        return Nullable.GetUnderlyingType(element) ?? element;
    }

    private static bool Parses(string token, Type type)
    {
        var element = Element(type);
        if (element == typeof(int)) return int.TryParse(token, NumberStyles.Integer, CultureInfo.InvariantCulture, out _);
        if (element == typeof(long)) return long.TryParse(token, NumberStyles.Integer, CultureInfo.InvariantCulture, out _);
        if (element == typeof(double) || element == typeof(float)) return double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
        return true;
    }
}
