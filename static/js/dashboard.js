// Small progressive enhancements. The dashboard works without JavaScript.
