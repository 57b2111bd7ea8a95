# A small TCL test harness in the style of Turso's testing/tester.tcl.
#
# Each test pipes SQL into $SQLITE_EXEC (default scripts/limbo-sqlite3, our debug shell) and compares
# its output exactly: rows joined by newlines, columns by `|` (sqlite3's list mode). A mismatch, a
# non-zero exit (a panic exits 101) or anything written to stderr fails the test: the script prints
# "Test FAILED: <name>" and exits 1. Run files from the repository root.

if {[info exists env(SQLITE_EXEC)]} {
    set sqlite_exec $env(SQLITE_EXEC)
} else {
    set sqlite_exec scripts/limbo-sqlite3
}

# Turso runs do_execsql_test against testing/testing.db. This engine keeps everything in memory,
# so the shared read-only fixture is the SQL in testing/testing.sql, loaded before each such test.
set test_fixture_sql [file join [file dirname [info script]] testing.sql]

proc run_sql {db sql} {
    global sqlite_exec
    # exec raises an error on a non-zero exit status or on output to stderr.
    return [exec -- {*}$sqlite_exec $db << $sql]
}

proc report_failure {name sql detail} {
    puts "Test FAILED: $name"
    puts "SQL:\n$sql"
    puts $detail
    exit 1
}

# As in Turso's harness, the SQL is trimmed and the expected output is a Tcl list whose elements are
# the rows: {1|a 2|b} and a braced block with one row per line both mean "1|a\n2|b"; quote rows that
# contain spaces ({"a b|1"}).
proc check_output {name sql db expected} {
    set sql [string trim $sql]
    set expected [join $expected "\n"]
    if {[catch {run_sql $db $sql} output]} {
        report_failure $name $sql "error or panic while running the test:\n$output"
    }
    if {$output ne $expected} {
        report_failure $name $sql "returned:\n$output\nexpected:\n$expected"
    }
    puts "PASS: $name"
}

# Read-only test against the shared fixture tables (see testing/testing.sql).
proc do_execsql_test {name sql expected} {
    global test_fixture_sql
    set fd [open $test_fixture_sql r]
    set fixture [read $fd]
    close $fd
    check_output $name "$fixture\n[string trim $sql]" :memory: $expected
}

# Test against a given database; {:memory:} is the usual choice for DDL and DML.
proc do_execsql_test_on_specific_db {db name sql expected} {
    check_output $name $sql $db $expected
}

# The SQL must fail with an SQL error (non-zero exit, message on stderr) whose text matches the
# regular expression `pattern`. Unlike Turso's harness, a panic never counts as the expected error.
proc expect_error {name db sql pattern {literal 0}} {
    set sql [string trim $sql]
    if {![catch {run_sql $db $sql} output]} {
        report_failure $name $sql "expected an error matching '$pattern', got:\n$output"
    }
    if {$literal} {
        set matches [expr {[string first [string tolower $pattern] [string tolower $output]] >= 0}]
    } else {
        set matches [regexp -- $pattern $output]
    }
    if {[string match "*panicked at*" $output] || !$matches} {
        report_failure $name $sql "expected an error matching '$pattern', got:\n$output"
    }
    puts "PASS: $name"
}

proc do_execsql_test_in_memory_error {name sql pattern} {
    expect_error $name :memory: $sql $pattern
}

# `text` is matched literally, ignoring case.
proc do_execsql_test_in_memory_error_content {name sql text} {
    expect_error $name :memory: $sql $text 1
}

proc do_execsql_test_in_memory_any_error {name sql} {
    expect_error $name :memory: $sql {.}
}
