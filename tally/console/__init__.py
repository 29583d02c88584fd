"""The web console (``tinnhiem serve``): the conferences of a workspace folder, creating one from
its roster, printing its ballots, and each conference's review pages (:mod:`tally.review`)."""
