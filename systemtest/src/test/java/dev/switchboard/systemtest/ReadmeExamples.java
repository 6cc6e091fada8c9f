package dev.switchboard.systemtest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The examples a README marks as checked: the fenced block after a line
 * {@code <!-- checked: scripts/start -->}. In a shell block, each command is followed by what it
 * prints, as comment lines ({@code # OUTPUT}); a block of another language is followed by a
 * {@code text} block of what it prints. In what is printed, {@code …} stands for any text, and
 * what follows two spaces is a remark for the reader, not output.
 */
final class ReadmeExamples {

  /** The line that marks the fenced block after it as checked. */
  static final String MARK = "<!-- checked: scripts/start -->";

  private static final Pattern FENCE = Pattern.compile("^```(\\w*)\\s*$");
  /** What scripts/start listens on by default, written as {@code localhost:PORT}, {@code localhost PORT} or {@code port: PORT}. */
  private static final Pattern PORT = Pattern.compile("(?<=localhost:|localhost |127\\.0\\.0\\.1:|port: |connect\\()(\\d{4})\\b");

  private ReadmeExamples() {
  }

  /** A marked block: its language, its lines, and the lines of the {@code text} block after it (empty for a shell block). */
  record Block(Path readme, int line, String language, List<String> lines, List<String> prints) {
  }

  /** A shell command and the lines it should print, in order (each may be among other lines). */
  record Command(String text, List<String> prints) {
  }

  /** The checked blocks of {@code readme}. */
  static List<Block> blocks(Path readme) throws IOException {
    List<String> lines = Files.readAllLines(readme);
    List<Block> blocks = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (!lines.get(i).trim().equals(MARK)) {
        continue;
      }
      int open = i + 1;
      Matcher fence = FENCE.matcher(lines.get(open));
      if (!fence.matches()) {
        throw new AssertionError(readme + ":" + (open + 1) + ": " + MARK + " is not followed by a fenced block");
      }
      int close = closing(lines, open, readme);
      List<String> prints = List.of();
      int next = close + 1;
      while (next < lines.size() && lines.get(next).isBlank()) {
        next++;
      }
      if (!isShell(fence.group(1))) {
        if (next >= lines.size() || !lines.get(next).equals("```text")) {
          throw new AssertionError(readme + ":" + (open + 1) + ": a checked " + fence.group(1) + " block is followed by a text block of what it prints");
        }
        prints = lines.subList(next + 1, closing(lines, next, readme));
      }
      blocks.add(new Block(readme, open + 1, fence.group(1), lines.subList(open + 1, close), prints));
    }
    return blocks;
  }

  static boolean isShell(String language) {
    return language.equals("sh") || language.equals("bash") || language.equals("shell");
  }

  private static int closing(List<String> lines, int open, Path readme) {
    for (int i = open + 1; i < lines.size(); i++) {
      if (lines.get(i).equals("```")) {
        return i;
      }
    }
    throw new AssertionError(readme + ":" + (open + 1) + ": the block is not closed");
  }

  /**
   * A shell block's commands, each with the comment lines that follow it. A command goes on over
   * lines while a quote is open or a line ends in a backslash; comment lines before the first command
   * are remarks.
   */
  static List<Command> commands(List<String> lines) {
    List<Command> commands = new ArrayList<>();
    StringBuilder command = null;
    List<String> prints = new ArrayList<>();
    for (String line : lines) {
      if (command != null && open(command)) {
        command.append('\n').append(line);
      } else if (line.startsWith("#")) {
        if (command != null) {
          prints.add(line.replaceFirst("^# ?", ""));
        }
      } else if (!line.isBlank()) {
        if (command != null) {
          commands.add(new Command(command.toString(), prints));
        }
        command = new StringBuilder(line);
        prints = new ArrayList<>();
      }
    }
    if (command != null) {
      commands.add(new Command(command.toString(), prints));
    }
    return commands;
  }

  /** Whether a command is not finished: a quote open, or a trailing backslash. */
  private static boolean open(CharSequence command) {
    char quote = 0;
    for (int i = 0; i < command.length(); i++) {
      char c = command.charAt(i);
      if (quote == 0 && (c == '\'' || c == '"')) {
        quote = c;
      } else if (quote == '"' && c == '\\') {
        i++;
      } else if (c == quote) {
        quote = 0;
      } else if (quote == 0 && c == '#' && (i == 0 || Character.isWhitespace(command.charAt(i - 1)))) {
        // A remark to the end of the line: skip it.
        while (i < command.length() && command.charAt(i) != '\n') {
          i++;
        }
      }
    }
    return quote != 0 || command.toString().endsWith("\\");
  }

  /** {@code text} with the default ports scripts/start would use replaced by this run's, from {@code ports}. */
  static String onPorts(String text, Map<Integer, Integer> ports) {
    Matcher m = PORT.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      Integer port = ports.get(Integer.parseInt(m.group(1)));
      m.appendReplacement(out, String.valueOf(port == null ? m.group(1) : port));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** A printed line as a pattern: {@code …} is any text, and a remark after two spaces is dropped. */
  static Pattern expected(String printed) {
    String output = printed.replaceFirst(" {2,}.*$", "").strip();
    StringBuilder regex = new StringBuilder();
    for (String part : output.split("…", -1)) {
      if (!regex.isEmpty()) {
        regex.append(".*");
      }
      regex.append(Pattern.quote(part));
    }
    return Pattern.compile(regex.toString());
  }

  /**
   * What is missing from {@code output}: the first printed line not found, in order, among its
   * lines (each matched whole, trailing space ignored); null when every one was found.
   */
  static String missing(List<String> prints, String output) {
    List<String> lines = output.lines().map(String::stripTrailing).toList();
    int at = 0;
    for (String printed : prints) {
      Pattern pattern = expected(printed);
      while (at < lines.size() && !pattern.matcher(lines.get(at).strip()).matches()) {
        at++;
      }
      if (at == lines.size()) {
        return printed;
      }
      at++;
    }
    return null;
  }
}
