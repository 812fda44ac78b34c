# Puma settings bin/web's flags do not cover. SIGTERM stops Puma gracefully with exit 0 (its
# default re-raises the signal, exit 143), so a supervisor sees a clean stop as one.
raise_exception_on_sigterm false
