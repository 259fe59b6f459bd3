greet() { echo "hello from the bench app ($1), version 1"; }
